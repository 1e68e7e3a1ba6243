// Walking the plan over real sockets: each failure class of the first mirror
// moves on to the next endpoint; the client gets the most meaningful error.
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(7);
const scene = useTwoMirrors(image);
const start = (extra: { never?: boolean } = {}) => scene.start({}, {}, extra);
const byDigest = () => `/v2/src/ns/app/manifests/${image.manifestDigest}`;
const byTag = '/v2/src/ns/app/manifests/v1';
const errorCode = (body: Buffer) => (JSON.parse(body.toString()) as { errors: { code: string }[] }).errors[0]?.code;

describe('failover by failure class of the first mirror', () => {
  it.each([
    ['refuses connections', async () => scene.m1.stop()],
    ['hangs (accepts, never answers)', () => (scene.m1.faults = { hang: true })],
    ['answers 500', () => (scene.m1.faults = { status: 500 })],
    ['answers 404', () => scene.m1.manifests.clear()],
    ['answers 401 that no token fixes', () => (scene.m1.faults = { tokenAuth: { username: 'u', password: 'p' } })],
    ['serves wrong bytes for the digest', () => (scene.m1.faults = { corrupt: true })],
  ])('%s: the second mirror serves', async (_name, fault) => {
    await fault();
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.body.equals(image.manifest)).toBe(true);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${scene.m2.host}/ns/app@${image.manifestDigest}`);
    expect(scene.source.count('/manifests/')).toBe(0);
  });

  it('a slow first mirror still serves when it answers within the timeouts', async () => {
    scene.m1.faults = { delayMs: 300 };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${scene.m1.host}/ns/app:v1`);
    expect(scene.m2.count('/manifests/')).toBe(0);
  });

  it('429 with Retry-After marks the mirror busy instead of hammering it', async () => {
    scene.m1.faults = { status: 429, retryAfter: '30' };
    const p = await start();
    for (let i = 0; i < 3; i++) expect((await p.get(byTag)).headers['x-mirrorgate-served-by']).toBe(`${scene.m2.host}/ns/app:v1`);
    expect(scene.m1.count('/manifests/')).toBe(1);
  });

  it('falls back to the scene.source when every mirror fails', async () => {
    scene.m1.faults = { status: 503 };
    await scene.m2.stop();
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${scene.source.host}/ns/app@${image.manifestDigest}`);
  });
});

describe('the final error when nothing serves', () => {
  it('404 MANIFEST_UNKNOWN when every endpoint lacked it, with every attempt in the detail', async () => {
    for (const r of [scene.m1, scene.m2, scene.source]) r.manifests.clear();
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(404);
    const body = JSON.parse(res.body.toString()) as { errors: { code: string; detail: { endpoint: string; outcome: string }[] }[] };
    expect(body.errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    expect(body.errors[0]?.detail.map((d) => d.outcome)).toEqual(['not_found', 'not_found', 'not_found']);
  });

  it('503 UNAVAILABLE when none could be reached', async () => {
    await Promise.all([scene.m1.stop(), scene.m2.stop(), scene.source.stop()]);
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(503);
    expect(errorCode(res.body)).toBe('UNAVAILABLE');
  });

  it('504 GATEWAY_TIMEOUT when every endpoint hung', async () => {
    for (const r of [scene.m1, scene.m2, scene.source]) r.faults = { hang: true };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(504);
    expect(errorCode(res.body)).toBe('GATEWAY_TIMEOUT');
  });

  it('502 BAD_GATEWAY when upstreams answered with errors or wrong bytes', async () => {
    for (const r of [scene.m1, scene.m2, scene.source]) r.faults = { corrupt: true };
    const p = await start();
    const res = await p.get(byDigest());
    expect(res.status).toBe(502);
    expect(errorCode(res.body)).toBe('BAD_GATEWAY');
  });

  it('429 TOOMANYREQUESTS with Retry-After when every endpoint asked to back off', async () => {
    for (const r of [scene.m1, scene.m2, scene.source]) r.faults = { status: 429, retryAfter: '7' };
    const p = await start();
    const res = await p.get(byTag);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(errorCode(res.body)).toBe('TOOMANYREQUESTS');
  });

  it('DENIED when the mirrors failed and NeverContactSource forbids the source', async () => {
    scene.m1.manifests.clear();
    scene.m2.manifests.clear();
    const p = await start({ never: true });
    const res = await p.get(byDigest());
    expect(res.status).toBe(403);
    expect(errorCode(res.body)).toBe('DENIED');
    expect(res.body.toString()).toContain('is blocked');
    expect(scene.source.count('/manifests/')).toBe(0);
  });
});
