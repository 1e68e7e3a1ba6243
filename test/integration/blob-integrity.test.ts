// Blobs without the disk cache, against hostile mirrors: the bytes served for
// a digest hash to it, or the response never ends cleanly (issue 8
// "Integrity", issue 11 "Failover that the client does not notice").
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { LyingBlobs, serving } from '../fakes/lying-blobs.js';
import { sample } from '../helpers/prometheus.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-http.js';

const image = makeImage(83, [2048, 300_000]);
const small = image.layers[0] as { digest: string; content: Buffer };
const big = image.layers[1] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const path = (digest: string) => `/v2/src/ns/app/blobs/${digest}`;
let m1: LyingBlobs;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  m1 = await new LyingBlobs(serving(small.content)).start();
  [m2, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  for (const r of [m2, source]) pushImage(r, 'ns/app', image, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([m1.stop(), m2.stop(), source.stop()]);
});

/** mirrorgate over m1 then m2 then the source; `verifyBefore` is cache.blobs.verify_before_serve_bytes. */
async function start(verifyBefore = 4 * 1024 * 1024, health: Record<string, unknown> = {}): Promise<TestProxy> {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], []), { aliases: { src: source.host } }, {
    cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: verifyBefore } },
    ...(Object.keys(health).length ? { health } : {}),
  });
  return proxy;
}

describe('wrong bytes fail over without the client noticing', () => {
  it('a small blob is verified before its first byte: a wrong copy moves on to the next endpoint, which serves the retry too', async () => {
    m1.answer = serving(small.content, { wrong: true });
    const p = await start();
    const first = await p.get(path(small.digest));
    expect(first.status).toBe(200);
    expect(sha(first.body)).toBe(small.digest);
    expect(first.headers['x-mirrorgate-served-by']).toContain(m2.host);
    await p.get(path(small.digest));
    // The endpoint that served wrong bytes for this digest is not asked again.
    expect(m1.count(small.digest)).toBe(1);
  });

  it('a short Content-Length (a cut copy) is a wrong copy too', async () => {
    m1.answer = serving(small.content, { length: small.content.length - 10 });
    const res = await (await start()).get(path(small.digest));
    expect(sha(res.body)).toBe(small.digest);
  });

  it('a large blob streams; a wrong copy breaks the response, never a clean end, and the retry is served by another endpoint', async () => {
    m1.answer = serving(big.content, { wrong: true });
    const p = await start(1024);
    await expect(p.get(path(big.digest))).rejects.toThrow();
    const retry = await p.get(path(big.digest));
    expect(retry.status).toBe(200);
    expect(sha(retry.body)).toBe(big.digest);
    expect(m1.count(big.digest)).toBe(1);
  });

  it('failures after the stream started count for health: the circuit opens', async () => {
    m1.answer = serving(big.content, { wrong: true });
    const p = await start(1024, { failure_threshold: 2, cool_down_ms: 60_000 });
    await expect(p.get(path(big.digest))).rejects.toThrow();
    // Another digest from the same host: also wrong, also mid-stream.
    const other = Buffer.alloc(200_000, 7);
    m1.answer = serving(other, { wrong: true });
    for (const r of [m2, source]) r.putBlob(other);
    await expect(p.get(path(sha(other)))).rejects.toThrow();
    const metrics = (await p.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_circuit_state', { endpoint: m1.host, state: 'open' })).toBe(1);
  });
});

describe('Range', () => {
  it.each(['bytes=0-', 'bytes=-999999999'])('%s against a wrong mirror never yields a clean 206 of wrong bytes', async (range) => {
    m1.answer = (req, res) => {
      const body = Buffer.from(small.content).fill(0x41, 0, 16);
      res.writeHead(206, { 'content-range': `bytes 0-${body.length - 1}/${body.length}`, 'content-length': body.length });
      res.end(body);
    };
    for (const r of [m2, source]) r.blobs.clear();
    const p = await start();
    const outcome = await p.get(path(small.digest), { range }).then((r) => r, (err: Error) => err);
    if (!(outcome instanceof Error)) {
      expect(outcome.status).not.toBe(206);
      expect(sha(outcome.body)).not.toBe(sha(Buffer.from(small.content).fill(0x41, 0, 16)));
    }
  });

  it('bytes=0- against a wrong mirror fails over like a full GET: a verified 206 from the next endpoint', async () => {
    m1.answer = serving(small.content, { wrong: true });
    const res = await (await start()).get(path(small.digest), { range: 'bytes=0-' });
    expect(res.status).toBe(206);
    expect(res.body.equals(small.content)).toBe(true);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
  });

  it('bytes=0- from an honest mirror is a verified 206 of the whole blob', async () => {
    const res = await (await start()).get(path(small.digest), { range: 'bytes=0-' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-${small.content.length - 1}/${small.content.length}`);
    expect(res.body.equals(small.content)).toBe(true);
  });

  it('an upstream 206 for another span than asked is that endpoint failing; the next serves', async () => {
    m1.answer = serving(small.content.subarray(0, 100), { contentRange: `bytes 0-99/${small.content.length}` });
    const res = await (await start()).get(path(small.digest), { range: 'bytes=500-599' });
    expect(res.status).toBe(206);
    expect(res.body.equals(small.content.subarray(500, 600))).toBe(true);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
  });

  it('an upstream 206 whose total contradicts the verified size is refused', async () => {
    const p = await start();
    m1.answer = serving(small.content);
    expect((await p.get(path(small.digest))).status).toBe(200);
    m1.answer = serving(small.content.subarray(0, 100), { contentRange: 'bytes 0-99/999999' });
    const res = await p.get(path(small.digest), { range: 'bytes=0-99' });
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect(res.headers['content-range']).toBe(`bytes 0-99/${small.content.length}`);
  });

  it.each([
    ['bytes=5-1', 200],
    ['bytes=1e+23-', 200],
    ['bytes=-0', 416],
    ['bytes=99999999999999999999999-', 416],
  ])('%s is answered by mirrorgate (%i), never forwarded', async (range, status) => {
    const res = await (await start()).get(path(small.digest), { range });
    expect(res.status).toBe(status);
    if (status === 200) expect(res.body.equals(small.content)).toBe(true);
    expect([...m1.requests, ...m2.requests.map((r) => ({ range: r.headers.range }))].filter((r) => r.range !== undefined)).toEqual([]);
  });
});

describe('HEAD', () => {
  it('an answer naming another digest is that endpoint failing, never passed on', async () => {
    m1.answer = serving(small.content, { digest: big.digest });
    const res = await (await start()).get(path(small.digest), {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(small.digest);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
  });

  it('a length that contradicts the verified size is that endpoint failing', async () => {
    const p = await start();
    expect((await p.get(path(small.digest))).status).toBe(200);
    m1.answer = serving(small.content, { length: small.content.length + 5 });
    const res = await p.get(path(small.digest), {}, 'HEAD');
    expect(res.headers['content-length']).toBe(String(small.content.length));
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
  });
});

describe('clean endings only for whole verified bodies', () => {
  const get10 = (url: string, digest: string) => rawRequest(url, `GET ${path(digest)} HTTP/1.0\r\nHost: x\r\n\r\n`);

  it('an HTTP/1.0 client gets an error before the first byte when no length is known', async () => {
    m1.answer = serving(big.content, { noLength: true });
    const p = await start(1024);
    const res = await get10(p.url, big.digest);
    expect(res.status).toBe(502);
    const chunked = await p.get(path(big.digest));
    expect(chunked.status).toBe(200);
    expect(sha(chunked.body)).toBe(big.digest);
  });

  it('an HTTP/1.0 client of a cut blob sees a body shorter than its Content-Length', async () => {
    m1.answer = serving(big.content, { length: big.content.length + 1000 });
    for (const r of [m2, source]) r.blobs.clear();
    const p = await start(1024);
    const res = await get10(p.url, big.digest);
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(res.body.length);
  });
});
