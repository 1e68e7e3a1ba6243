// Opening and hashing a cached file (store/disk-trust.ts): a link is never
// followed, a file others may change is not used, and the hash decides.
import { createHash } from 'node:crypto';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashesTo, openOwnFile } from '../../../src/store/disk-trust.js';
import { tempDir } from '../../helpers/temp.js';

const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;

describe('openOwnFile', () => {
  it('opens a regular file of this user of the recorded size, and nothing else', async () => {
    const dir = tempDir('disk-trust');
    const file = join(dir, 'blob');
    writeFileSync(file, body, { mode: 0o600 });
    symlinkSync(file, join(dir, 'link'));
    const handle = await openOwnFile(file, body.length);
    expect(handle).toBeDefined();
    expect(await hashesTo(handle!, digest, body.length)).toBe(true);
    await handle?.close();
    expect(await openOwnFile(join(dir, 'link'), body.length)).toBeUndefined();
    expect(await openOwnFile(file, body.length - 1)).toBeUndefined();
    expect(await openOwnFile(dir, 0)).toBeUndefined();
    chmodSync(file, 0o620);
    expect(await openOwnFile(file, body.length)).toBeUndefined();
  });
});

describe('hashesTo', () => {
  it('is false for other bytes, and for a file shorter than the size asked', async () => {
    const file = join(tempDir('disk-trust'), 'blob');
    writeFileSync(file, Buffer.concat([body.subarray(0, -1), Buffer.from([8])]), { mode: 0o600 });
    const handle = (await openOwnFile(file, body.length))!;
    expect(await hashesTo(handle, digest, body.length)).toBe(false);
    expect(await hashesTo(handle, digest, body.length + 1)).toBe(false);
    await handle.close();
  });
});
