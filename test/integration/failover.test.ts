// Walking the plan over real sockets: each failure class of the first mirror
// moves on to the next endpoint; the client gets the most meaningful error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../fakes/fake-registry.js';
import { makeImage, pushImage } from '../fakes/image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(7);
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) pushImage(r, 'ns/app', image, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

const start = async (extra: { never?: boolean } = {}) => {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`], extra), { aliases: { src: source.host } });
  return proxy;
};
const byDigest = () => `/v2/src/ns/app/manifests/${image.manifestDigest}`;
const byTag = '/v2/src/ns/app/manifests/v1';
const errorCode = (body: Buffer) => (JSON.parse(body.toString()) as { errors: { code: string }[] }).errors[0]?.code;

describe('failover by failure class of the first mirror', () => {
  it.each([
    ['refuses connections', async () => m1.stop()],
    ['hangs (accepts, never answers)', () => (m1.faults = { hang: true })],
    ['answers 500', () => (m1.faults = { status: 500 })],
    ['answers 404', () => m1.manifests.clear()],
    ['answers 401 that no token fixes', () => (m1.faults = { tokenAuth: { username: 'u', password: 'p' } })],
    ['serves wrong bytes for the digest', () => (m1.faults = { corrupt: true })],
  ])('%s: the second mirror serves', async (_name, fault) => {
    await fault();
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.body.equals(image.manifest)).toBe(true);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${m2.host}/ns/app@${image.manifestDigest}`);
    expect(source.count('/manifests/')).toBe(0);
  });

  it('a slow first mirror still serves when it answers within the timeouts', async () => {
    m1.faults = { delayMs: 300 };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${m1.host}/ns/app:v1`);
    expect(m2.count('/manifests/')).toBe(0);
  });

  it('429 with Retry-After marks the mirror busy instead of hammering it', async () => {
    m1.faults = { status: 429, retryAfter: '30' };
    const p = await start();
    for (let i = 0; i < 3; i++) expect((await p.get(byTag)).headers['x-mirrorgate-served-by']).toBe(`${m2.host}/ns/app:v1`);
    expect(m1.count('/manifests/')).toBe(1);
  });

  it('falls back to the source when every mirror fails', async () => {
    m1.faults = { status: 503 };
    await m2.stop();
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${source.host}/ns/app@${image.manifestDigest}`);
  });
});

describe('the final error when nothing serves', () => {
  it('404 MANIFEST_UNKNOWN when every endpoint lacked it, with every attempt in the detail', async () => {
    for (const r of [m1, m2, source]) r.manifests.clear();
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(404);
    const body = JSON.parse(res.body.toString()) as { errors: { code: string; detail: { endpoint: string; outcome: string }[] }[] };
    expect(body.errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    expect(body.errors[0]?.detail.map((d) => d.outcome)).toEqual(['not_found', 'not_found', 'not_found']);
  });

  it('503 UNAVAILABLE when none could be reached', async () => {
    await Promise.all([m1.stop(), m2.stop(), source.stop()]);
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(503);
    expect(errorCode(res.body)).toBe('UNAVAILABLE');
  });

  it('504 GATEWAY_TIMEOUT when every endpoint hung', async () => {
    for (const r of [m1, m2, source]) r.faults = { hang: true };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(504);
    expect(errorCode(res.body)).toBe('GATEWAY_TIMEOUT');
  });

  it('502 BAD_GATEWAY when upstreams answered with errors or wrong bytes', async () => {
    for (const r of [m1, m2, source]) r.faults = { corrupt: true };
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(502);
    expect(errorCode(res.body)).toBe('BAD_GATEWAY');
  });

  it('429 TOOMANYREQUESTS with Retry-After when every endpoint asked to back off', async () => {
    for (const r of [m1, m2, source]) r.faults = { status: 429, retryAfter: '7' };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(errorCode(res.body)).toBe('TOOMANYREQUESTS');
  });

  it('DENIED when the mirrors failed and NeverContactSource forbids the source', async () => {
    m1.manifests.clear();
    m2.manifests.clear();
    const p = await start({ never: true });
    const res = await p.get(byDigest());
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('DENIED');
    expect(res.body.toString()).toContain('is blocked');
    expect(source.count('/manifests/')).toBe(0);
  });
});
