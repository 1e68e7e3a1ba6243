// One request, one id, one access line: the id is the client's sane
// X-Request-Id or a new one, echoed, and on every line the request logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { sample } from '../helpers/prometheus.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(62);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const path = '/v2/src/ns/app/manifests/v1';
let mirror: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(source, 'ns/app', image, 'v1');
  mirror.faults = { status: 503 };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [`${mirror.host}/ns`]), { aliases: { src: source.host } });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([mirror, source].map((r) => r?.stop()));
});

const linesOf = (reqId: string) => proxy.logs.filter((l) => l.reqId === reqId);

describe('request id', () => {
  it("keeps the client's X-Request-Id, echoes it and logs under it", async () => {
    const res = await proxy.get(path, { 'x-request-id': 'trace-4bf92f3577b34da6' });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-4bf92f3577b34da6');
    expect(linesOf('trace-4bf92f3577b34da6').map((l) => l.msg)).toEqual(['request']);
  });

  it('makes a new one when the client sends none, and on errors too', async () => {
    const res = await proxy.get('/v2/src/ns/app/manifests/missing');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(linesOf(res.headers['x-request-id'] as string)).toHaveLength(1);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['markup', '<script>alert(1)</script>'],
    ['spaces and quotes', 'a b"c'],
    ['a tab', 'id\twith-tab'],
    ['a path', '../../etc/passwd?x=1'],
  ])('replaces a hostile one (%s) with a new one', async (_what, hostile) => {
    const res = await proxy.get('/v2/', { 'x-request-id': hostile });
    const echoed = res.headers['x-request-id'] as string;
    expect(echoed).toMatch(UUID);
    expect(JSON.stringify(proxy.logs)).not.toContain(hostile.slice(0, 20));
  });

  it('ids are distinct per request', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, async () => (await proxy.get('/v2/')).headers['x-request-id']));
    expect(new Set(ids).size).toBe(5);
  });
});

describe('the access line', () => {
  it('has what operators look for', async () => {
    const res = await proxy.get(path, { 'x-request-id': 'fields-1', 'user-agent': 'containerd/2.0.0' });
    expect(res.status).toBe(200);
    const [line] = linesOf('fields-1');
    expect(line).toMatchObject({
      msg: 'request',
      method: 'GET',
      path,
      code: 200,
      bytes: image.manifest.length,
      client: '127.0.0.1',
      userAgent: 'containerd/2.0.0',
      image: `${source.host}/ns/app:v1`,
      pullBy: 'tag',
      plan: 2,
      servedBy: `${source.host}/ns/app:v1`,
      cache: 'tag miss',
    });
    expect(typeof line?.durationMs).toBe('number');
    expect((line?.attempts as { endpoint: string; outcome: string }[]).map((a) => [a.endpoint.split('/')[0], a.outcome])).toEqual([
      [mirror.host, 'status_5xx'],
      [source.host, 'ok'],
    ]);
    expect(line).not.toHaveProperty('status');
    expect(line).not.toHaveProperty('ms');
  });

  it('bounds the user agent', async () => {
    await proxy.get('/v2/', { 'x-request-id': 'ua-1', 'user-agent': 'x'.repeat(5000) });
    expect((linesOf('ua-1')[0]?.userAgent as string).length).toBe(256);
  });

  it('bounds the path of every target, and says it was cut (red team: a ~16 KB path was logged whole)', async () => {
    await proxy.get(`/v2/${'a'.repeat(12_000)}/manifests/x`, { 'x-request-id': 'path-1' });
    const path = linesOf('path-1')[0]?.path as string;
    expect(path.startsWith(`/v2/${'a'.repeat(1020)}…`)).toBe(true);
    expect(path.endsWith('[cut at 1024 of 12016 chars]')).toBe(true);
  });
});

describe('the child logger', () => {
  it('carries the request id on the lines handlers log, not only the access line', async () => {
    const stale = await fakeRegistry();
    pushImage(stale, 'ns/app', image, 'v1');
    let skew = 0;
    const p = await startTestProxy(mirrorRules(`${stale.host}/ns`, [], []), { aliases: { src: stale.host } }, { cache: { max_bytes: 1 << 20, tag_ttl_ms: 1000, stale_if_error: true, stale_max_ms: 600_000 } }, { clock: { now: () => performance.now() + skew } });
    try {
      expect((await p.get(path)).status).toBe(200);
      skew += 60_000;
      stale.faults = { status: 500 };
      const res = await p.get(path, { 'x-request-id': 'stale-1' });
      expect(res.headers.warning).toContain('110');
      const lines = p.logs.filter((l) => l.reqId === 'stale-1');
      expect(lines.map((l) => l.msg)).toEqual(['every endpoint failed: serving the cached manifest stale', 'request']);
      expect(lines[1]).toMatchObject({ code: 200, cache: 'tag stale' });
    } finally {
      await p.close();
      await stale.stop();
    }
  });
});

describe('a separate admin listener', () => {
  it('goes through the same wrapper: request id, metrics, 404 outside the admin paths', async () => {
    const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), {}, { admin: { listen: ['127.0.0.1:0'] } });
    const admin = p.proxy.adminUrls[0] as string;
    try {
      const health = await request(`${admin}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
      await health.body.dump();
      expect(health.statusCode).toBe(200);
      expect(health.headers['x-request-id']).toBe('probe-1');
      const elsewhere = await request(`${admin}/v2/`);
      await elsewhere.body.dump();
      expect(elsewhere.statusCode).toBe(404);
      const metrics = await (await request(`${admin}/metrics`)).body.text();
      expect(sample(metrics, 'mirrorgate_http_requests_total', { route: 'admin', method: 'GET', code: '200' })).toBe(1);
      expect(sample(metrics, 'mirrorgate_http_requests_total', { route: 'admin', method: 'GET', code: '404' })).toBe(1);
    } finally {
      await p.close();
    }
  });
});
