import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { HashFailure, HashPool } from '../../../src/pull/hash-worker.js';
import { StreamVerifier } from '../../../src/pull/verify.js';

const KiB = 1024;
const pools: HashPool[] = [];
const pool = (workers = 1, ringBytes = 64 * KiB) => {
  const p = new HashPool({ workers, minBytes: 1, ringBytes });
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Deterministic bytes, different in every position of a ring. */
const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Feeds `blob` in `chunk`-sized pieces, waiting whenever the hasher is full. */
async function feed(v: StreamVerifier, blob: Buffer, chunk: number): Promise<Buffer[]> {
  const released: Buffer[] = [];
  for (let at = 0; at < blob.length; at += chunk) {
    const r = v.push(blob.subarray(at, at + chunk));
    if (r) released.push(r);
    if (v.pending) await v.pending;
  }
  return released;
}

describe('hashing on a worker thread', () => {
  it('gives the digest of a blob several times the ring, fed in odd-sized chunks, and reuses the worker', async () => {
    const p = pool();
    for (const seed of [1, 2, 3]) {
      const blob = bytes(700 * KiB + 13, seed);
      const v = new StreamVerifier(`sha256:${sha(blob)}`, blob.length, p);
      const released = await feed(v, blob, 24 * KiB + 7);
      const tail = await v.finish();
      expect(Buffer.concat([...released, tail as Buffer]).equals(blob)).toBe(true);
    }
  });

  it('holds the copy back when the ring is full: a chunk larger than the ring must wait for the worker', async () => {
    const blob = bytes(256 * KiB, 6);
    // A fresh worker is still starting when this synchronous push fills its 64 KiB ring.
    const v = new StreamVerifier(`sha256:${sha(blob)}`, blob.length, pool());
    expect(v.push(blob)).toBeUndefined();
    expect(v.pending).toBeInstanceOf(Promise);
    await v.pending;
    expect((await v.finish())?.equals(blob)).toBe(true);
  });

  it('refuses a blob with one wrong byte in the middle, and holds its last chunk', async () => {
    const blob = bytes(300 * KiB);
    const wrong = Buffer.from(blob);
    wrong[150 * KiB] = (wrong[150 * KiB] as number) ^ 1;
    const v = new StreamVerifier(`sha256:${sha(blob)}`, blob.length, pool());
    const released = await feed(v, wrong, 20 * KiB);
    expect(Buffer.concat(released).length).toBe(blob.length - 20 * KiB);
    await expect(v.finish()).rejects.toThrow('does not match');
  });

  it('fails the hash when its worker dies in the middle, and hashes the next blob on a fresh worker', async () => {
    const p = pool();
    const blob = bytes(256 * KiB);
    const v = new StreamVerifier(`sha256:${sha(blob)}`, blob.length, p);
    await feed(v, blob.subarray(0, 128 * KiB), 16 * KiB);
    await p.close();
    await expect(async () => {
      await feed(v, blob.subarray(128 * KiB), 16 * KiB);
      await v.finish();
    }).rejects.toThrow(HashFailure);
    const again = new StreamVerifier(`sha256:${sha(blob)}`, blob.length, p);
    await feed(again, blob, 16 * KiB);
    await expect(again.finish()).resolves.toBeDefined();
  });

  it('hashes inline when every worker is busy, and after an abandoned hash the worker serves again', async () => {
    const p = pool(1);
    const a = bytes(200 * KiB, 4);
    const b = bytes(200 * KiB, 5);
    const first = new StreamVerifier(`sha256:${sha(a)}`, a.length, p);
    const second = new StreamVerifier(`sha256:${sha(b)}`, b.length, p);
    await Promise.all([feed(first, a, 8 * KiB), feed(second, b, 8 * KiB)]);
    await expect(first.finish()).resolves.toBeDefined();
    await expect(second.finish()).resolves.toBeDefined();
    const left = new StreamVerifier(`sha256:${sha(a)}`, a.length, p);
    await feed(left, a.subarray(0, 100 * KiB), 8 * KiB);
    left.close();
    const next = new StreamVerifier(`sha256:${sha(b)}`, b.length, p);
    await feed(next, b, 8 * KiB);
    await expect(next.finish()).resolves.toBeDefined();
  });
});
