// Blobs over real sockets: verification, resume across endpoints, Range.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(11, [2048, 300_000]);
const small = image.layers[0] as { digest: string; content: Buffer };
const big = image.layers[1] as { digest: string; content: Buffer };
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) pushImage(r, 'ns/app', image, 'v1');
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], []), { aliases: { src: source.host } });
});
afterEach(async () => {
  await proxy.close();
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

const blobPath = (digest: string) => `/v2/src/ns/app/blobs/${digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('blob GET and HEAD', () => {
  it('streams the blob with its digest and length', async () => {
    const res = await proxy.get(blobPath(big.digest));
    expect(res.status).toBe(200);
    expect(sha(res.body)).toBe(big.digest);
    expect(res.headers['content-length']).toBe(String(big.content.length));
    expect(res.headers['docker-content-digest']).toBe(big.digest);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${m1.host}/ns/app@${big.digest}`);
  });

  it('HEAD answers length and digest without a body', async () => {
    const res = await proxy.get(blobPath(small.digest), {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.headers['content-length']).toBe(String(small.content.length));
    expect(res.headers['docker-content-digest']).toBe(small.digest);
  });

  it('404 BLOB_UNKNOWN when no endpoint has it; HEAD without body', async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    const get = await proxy.get(blobPath(missing));
    expect(get.status).toBe(404);
    expect(JSON.parse(get.body.toString()).errors[0].code).toBe('BLOB_UNKNOWN');
    const head = await proxy.get(blobPath(missing), {}, 'HEAD');
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
  });
});

describe('a mirror can never serve wrong content', () => {
  it('a corrupt blob from the only endpoint: a blob verified before its first byte is answered 502, never served', async () => {
    for (const r of [m1, m2]) r.blobs.clear();
    source.faults = { corrupt: true };
    const res = await proxy.get(blobPath(big.digest));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('BAD_GATEWAY');
  });

  it('a wrong manifest by digest moves on to the next endpoint', async () => {
    m1.faults = { corrupt: true };
    const res = await proxy.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
  });
});

describe('resume mid-blob on the next endpoint', () => {
  it('continues from the broken offset with a Range request; the client sees one verified stream', async () => {
    m1.faults = { resetBlobAfter: 100_000 };
    const res = await proxy.get(blobPath(big.digest));
    expect(res.status).toBe(200);
    expect(sha(res.body)).toBe(big.digest);
    const resumed = m2.requests.find((r) => r.url.includes(big.digest));
    expect(resumed?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(resumed?.headers.range ?? '')?.[1])).toBeGreaterThanOrEqual(65_536);
  });

  it('a resume target that ignores Range is skipped forward to the offset', async () => {
    m1.faults = { resetBlobAfter: 150_000 };
    m2.faults = { ignoreRange: true };
    const res = await proxy.get(blobPath(big.digest));
    expect(sha(res.body)).toBe(big.digest);
  });
});

describe('Range (as containerd and containers/image send it)', () => {
  const size = small.content.length;
  it.each([
    ['bytes=500-1499', 500, 1500],
    ['bytes=500-', 500, size],
    ['bytes=-500', size - 500, size],
    [`bytes=${size - 48}-${size + 3000}`, size - 48, size],
  ])('%s -> 206 with that part', async (range, from, to) => {
    const res = await proxy.get(blobPath(small.digest), { range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${from}-${to - 1}/${size}`);
    expect(res.headers['content-length']).toBe(String(to - from));
    expect(res.body.equals(small.content.subarray(from, to))).toBe(true);
  });

  it.each([`bytes=${size + 10}-${size + 5000}`])('%s -> 416', async (range) => {
    const res = await proxy.get(blobPath(small.digest), { range });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${size}`);
  });

  it('a multi-range request gets the whole blob with 200, never a single part', async () => {
    const res = await proxy.get(blobPath(small.digest), { range: 'bytes=0-9, 20-29' });
    expect(res.status).toBe(200);
    expect(res.body.equals(small.content)).toBe(true);
  });

  it('an upstream that ignores Range is sliced by the proxy: a resume that needs 206 gets 206', async () => {
    m1.faults = { ignoreRange: true };
    const res = await proxy.get(blobPath(small.digest), { range: 'bytes=1000-' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 1000-${size - 1}/${size}`);
    expect(res.body.equals(small.content.subarray(1000))).toBe(true);
  });
});

describe('client disconnects', () => {
  it('abort the upstream request', async () => {
    m1.faults = { delayMs: 300 };
    const controller = new AbortController();
    const pending = request(`${proxy.url}${blobPath(big.digest)}`, { signal: controller.signal }).catch(() => undefined);
    // Abort once the request reached m1 (counted, not timed: a loaded machine may take longer).
    await vi.waitFor(() => expect(m1.count(big.digest)).toBe(1), { timeout: 5_000, interval: 10 });
    controller.abort();
    await pending;
    // The proxy dropped its request to m1 with the client, and tried nothing else.
    await vi.waitFor(() => expect(m1.closedEarly).toBe(1), { timeout: 5_000, interval: 20 });
    expect(m2.count(big.digest)).toBe(0);
    expect(source.count(big.digest)).toBe(0);
  });
});
