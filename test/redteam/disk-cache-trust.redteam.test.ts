// Integrity of the disk blob cache at start-up (store/disk.ts BlobDisk.open):
// the index is rebuilt from blobs/<alg>/ by name and size only. Only the top
// directory's owner and mode are checked; blobs/ and blobs/sha256/ may be
// world-writable, and entries are stat()ed (following symlinks), never
// hashed. Whatever lies there under a digest's name is served as that digest
// with 200 and a clean end, with no upstream contact.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const real = Buffer.from('the genuine blob content '.repeat(40));
const digest = `sha256:${createHash('sha256').update(real).digest('hex')}`;
const hex = digest.slice('sha256:'.length);
const forged = Buffer.from('FORGED-'.repeat(100));
let source: FakeRegistry;
let dir: string;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  source = await fakeRegistry();
  source.putBlob(real);
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt-blobs-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = async () => {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir } } });
  return proxy;
};

describe('disk blob cache contents are trusted by name at start-up', () => {
  it('a world-writable blobs/sha256 is accepted and a file planted there is served as the digest', async () => {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    chmodSync(join(dir, 'blobs'), 0o777);
    chmodSync(join(dir, 'blobs', 'sha256'), 0o777); // e.g. left by an init container or a hostPath
    writeFileSync(join(dir, 'blobs', 'sha256', hex), forged);
    let started: TestProxy | undefined;
    try {
      started = await start();
    } catch {
      return; // refusing to start on a writable subdirectory would be a fix
    }
    const res = await started.get(`/v2/src/ns/app/blobs/${digest}`);
    // Required: never the forged bytes under this digest.
    expect(res.body.equals(forged)).toBe(false);
  });

  it('a symlink named as a digest is followed and its target served as that digest', async () => {
    const outside = join(dir, 'outside-secret');
    writeFileSync(outside, forged);
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    symlinkSync(outside, join(dir, 'blobs', 'sha256', hex));
    const p = await start();
    const res = await p.get(`/v2/src/ns/app/blobs/${digest}`);
    expect({ status: res.status, forged: res.body.equals(forged) }).not.toEqual({ status: 200, forged: true });
  });
});
