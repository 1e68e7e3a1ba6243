// The content store's entry checks: what goes into the caches is what it claims to be.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../../src/pull/verify.js';
import { BlobDisk } from '../../../src/store/disk.js';
import { ManifestCache } from '../../../src/store/manifest-cache.js';

const clock = { now: () => 0 };
const settings = { maxBytes: 1 << 20, tagTtlMs: 1000, staleIfError: false, staleMaxMs: 1000, negativeTtlMs: 1000, coalesce: true };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('manifest cache', () => {
  it('keeps a manifest only under the digest its bytes hash to', () => {
    const cache = new ManifestCache(settings, clock);
    const body = Buffer.from('{"schemaVersion":2}');
    const digest = digestOf('sha256', body);
    const contentType = 'application/vnd.oci.image.manifest.v1+json';
    cache.store('r/a', `sha256:${'1'.repeat(64)}`, { contentType, length: body.length, digest: `sha256:${'1'.repeat(64)}`, body }, 'm');
    expect(cache.manifest(`sha256:${'1'.repeat(64)}`, [])).toBeUndefined();
    cache.store('r/a', digest, { contentType, length: body.length, digest, body }, 'm');
    expect(cache.manifest(digest, [])?.body.equals(body)).toBe(true);
  });
});

describe('blob cache directory', () => {
  it('refuses a directory others may write to: they could plant a file under a digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-disk-'));
    dirs.push(dir);
    chmodSync(dir, 0o777);
    await expect(BlobDisk.open(dir, 1 << 20, { evicted: () => {}, size: () => {}, discarded: () => {} })).rejects.toThrow(/not be writable by group or others/);
    chmodSync(dir, 0o700);
    await expect(BlobDisk.open(dir, 1 << 20, { evicted: () => {}, size: () => {}, discarded: () => {} })).resolves.toBeInstanceOf(BlobDisk);
  });

  it('a second verified copy of a cached blob (two walks filled it at once) is dropped and counted once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-disk-'));
    dirs.push(dir);
    const sizes: number[] = [];
    const disk = await BlobDisk.open(dir, 1 << 20, { evicted: () => {}, size: (bytes) => sizes.push(bytes), discarded: () => {} });
    const body = Buffer.from('layer');
    const digest = digestOf('sha256', body);
    for (const _ of [1, 2]) {
      const temp = disk.tempPath();
      writeFileSync(temp, body);
      await disk.commit(temp, digest, body.length);
    }
    const cached = await disk.read(digest);
    await cached?.handle.close();
    expect({ size: cached?.size, total: sizes.at(-1), tmp: readdirSync(join(dir, 'tmp')) }).toEqual({ size: body.length, total: body.length, tmp: [] });
  });
});
