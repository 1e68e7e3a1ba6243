// The verified stream with its hash on a worker thread (src/pull/hash-worker.ts):
// as strong as the inline hash. A wrong byte in the middle of a large blob
// never ends cleanly, and a worker that dies in the middle of a hash fails
// the pull (a broken response), never a clean end of unverified bytes.
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { LyingBlobs, serving } from '../fakes/lying-blobs.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const MiB = 1024 * 1024;
const blob = Buffer.from(Array.from({ length: 3 * MiB }, (_, i) => (i * 131 + (i >> 10)) & 0xff));
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const path = `/v2/src/ns/app/blobs/${digest}`;
let m1: LyingBlobs;
let source: FakeRegistry;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  m1 = await new LyingBlobs(serving(blob)).start();
  source = await fakeRegistry();
  source.putBlob(blob);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([m1.stop(), source.stop()]);
});

/** mirrorgate over m1 then the source; blobs from 64 KiB are hashed on the one worker, and stream (verify-before-serve 1 KiB). */
async function start(): Promise<TestProxy> {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`], []), { aliases: { src: source.host }, hash_workers: 1, hash_worker_min_bytes: 64 * 1024 }, {
    cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: 1024 } },
  });
  return proxy;
}

/** Reads a response to its end; resolves with the bytes, rejects when it was cut. */
async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

describe('hashing on a worker thread', () => {
  it('serves a large blob whole and verified, hashed on the worker', async () => {
    const p = await start();
    const res = await p.get(path);
    expect(res.status).toBe(200);
    expect(res.body.equals(blob)).toBe(true);
    expect(p.proxy.pull.hashing.workerHashes).toBe(1);
  });

  it('a wrong byte in the middle of a large blob: the response is cut, never a clean end', async () => {
    const wrong = Buffer.from(blob);
    wrong[blob.length >> 1] = (wrong[blob.length >> 1] as number) ^ 0xff;
    m1.answer = serving(wrong);
    const p = await start();
    const res = await request(`${p.url}${path}`);
    expect(res.statusCode).toBe(200);
    await expect(readAll(res.body)).rejects.toThrow();
    expect(p.proxy.pull.hashing.workerHashes).toBe(1);
    // The retry is served by the source, whole and verified.
    expect((await p.get(path)).body.equals(blob)).toBe(true);
  });

  it('a client that leaves mid-blob frees the worker: the next pull hashes on it again', async () => {
    const p = await start();
    const controller = new AbortController();
    const res = await request(`${p.url}${path}`, { signal: controller.signal });
    const chunks = res.body[Symbol.asyncIterator]();
    await chunks.next();
    controller.abort();
    await expect((async () => {
      for (let c = await chunks.next(); !c.done; c = await chunks.next());
    })()).rejects.toThrow();
    // Bounded: the abandoned hash gives its worker back once the proxy has noticed the client left.
    for (let i = 0; i < 50; i++) {
      const again = await p.get(path);
      expect(again.body.equals(blob)).toBe(true);
      if (p.proxy.pull.hashing.workerHashes >= 2) break;
    }
    expect(p.proxy.pull.hashing.workerHashes).toBeGreaterThanOrEqual(2);
  });

  it('the worker dying in the middle of a hash fails the pull: the response is cut, and the next pull hashes on a fresh worker', async () => {
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    m1.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
      res.write(blob.subarray(0, blob.length >> 1));
      void rest.then(() => res.end(blob.subarray(blob.length >> 1)));
    };
    const p = await start();
    const res = await request(`${p.url}${path}`);
    expect(res.statusCode).toBe(200);
    const chunks = res.body[Symbol.asyncIterator]();
    // Bytes reached the client: the hash is under way. Then its worker goes.
    await chunks.next();
    await p.proxy.pull.hashing.close();
    sendRest();
    await expect((async () => {
      for (let c = await chunks.next(); !c.done; c = await chunks.next());
    })()).rejects.toThrow();
    // Our failure, not the mirror's: no resume on the next endpoint, nothing against m1's health.
    expect(source.count(digest)).toBe(0);
    expect(p.proxy.pull.health.snapshot().find((e) => e.endpoint === m1.host)?.failures ?? 0).toBe(0);
    m1.answer = serving(blob);
    const again = await p.get(path);
    expect(again.body.equals(blob)).toBe(true);
    expect(p.proxy.pull.hashing.workerHashes).toBe(2);
  });
});
