// The manifest cache over real sockets: hits skip upstream entirely.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sample } from '../helpers/prometheus.js';

const image = makeImage(91);
let source: FakeRegistry;
let proxy: TestProxy;
const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

const start = async (cache: Record<string, unknown> = {}) => {
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, {
    cache: { max_bytes: 1024 * 1024, tag_ttl_ms: 60_000, negative_ttl_ms: 60_000, stale_if_error: true, stale_max_ms: 60_000, ...cache },
  });
  return proxy;
};
beforeEach(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  await source.stop();
});

const tagPath = '/v2/src/ns/app/manifests/v1';
const digestPath = () => `/v2/src/ns/app/manifests/${image.manifestDigest}`;

describe('manifest cache', () => {
  it('serves manifests by digest and fresh tags without contacting upstream', async () => {
    const p = await start();
    const first = await p.get(tagPath);
    const again = await p.get(tagPath);
    const byDigest = await p.get(digestPath());
    const head = await p.get(tagPath, {}, 'HEAD');
    expect(again.body.equals(image.manifest)).toBe(true);
    expect(byDigest.body.equals(image.manifest)).toBe(true);
    for (const h of ['docker-content-digest', 'content-type', 'content-length']) expect(head.headers[h]).toBe(first.headers[h]);
    expect(again.headers['x-mirrorgate-served-by']).toBe(`cache (from ${source.host}/ns/app:v1)`);
    expect(source.count('/manifests/')).toBe(1);
    const metrics = (await p.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_cache_requests_total', { kind: 'tag', result: 'miss' })).toBe(1);
    expect(sample(metrics, 'mirrorgate_cache_requests_total', { kind: 'tag', result: 'hit' })).toBe(2);
    expect(sample(metrics, 'mirrorgate_cache_requests_total', { kind: 'manifest', result: 'hit' })).toBe(1);
  });

  it('asks upstream again once a tag is older than tag_ttl_ms', async () => {
    const p = await start({ tag_ttl_ms: 50 });
    await p.get(tagPath);
    await waitMs(80);
    await p.get(tagPath);
    expect(source.count('/manifests/v1')).toBe(2);
  });

  it('stale-if-error: serves a cached tag when every endpoint fails, with a Warning', async () => {
    const p = await start({ tag_ttl_ms: 50 });
    await p.get(tagPath);
    await waitMs(80);
    source.faults = { status: 503 };
    const res = await p.get(tagPath);
    expect(res.status).toBe(200);
    expect(res.headers.warning).toBe('110 - "Response is Stale"');
    expect(res.body.equals(image.manifest)).toBe(true);
  });

  it('stale-if-error can be turned off, and never covers "not found"', async () => {
    const off = await start({ tag_ttl_ms: 50, stale_if_error: false });
    await off.get(tagPath);
    await waitMs(80);
    source.faults = { status: 503 };
    expect((await off.get(tagPath)).status).toBe(502);
    await off.close();
    source.faults = {};
    const on = await start({ tag_ttl_ms: 50 });
    await on.get(tagPath);
    await waitMs(80);
    source.manifests.clear();
    expect((await on.get(tagPath)).status).toBe(404);
  });

  it('remembers "not found" for negative_ttl_ms', async () => {
    const p = await start({ negative_ttl_ms: 60_000 });
    expect((await p.get('/v2/src/ns/app/manifests/missing')).status).toBe(404);
    expect((await p.get('/v2/src/ns/app/manifests/missing')).status).toBe(404);
    expect(source.count('/manifests/missing')).toBe(1);
  });

  it('coalesces identical concurrent fetches into one upstream request', async () => {
    source.faults = { delayMs: 200 };
    const p = await start();
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(`${p.url}${tagPath}`).then(async (r) => ({ status: r.statusCode, body: Buffer.from(await r.body.arrayBuffer()) }))));
    expect(responses.every((r) => r.status === 200 && r.body.equals(image.manifest))).toBe(true);
    expect(source.count('/manifests/v1')).toBe(1);
  });

  it('does not serve a cached manifest to a client whose Accept excludes its type', async () => {
    const p = await start();
    await p.get(digestPath());
    const docker = await p.get(digestPath(), { accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect(docker.headers['x-mirrorgate-served-by']).toBe(`${source.host}/ns/app@${image.manifestDigest}`);
    expect(source.count(image.manifestDigest)).toBe(2);
  });

  it('rules still apply to cached content: a reload that blocks the source denies it', async () => {
    const p = await start();
    expect((await p.get(digestPath())).status).toBe(200);
    const dir = p.proxy.holder.paths[0] as string;
    writeFileSync(join(dir, 'block.yaml'), `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["${source.host}"]\n`);
    writeFileSync(join(dir, 'rules.yaml'), '');
    expect((await p.proxy.holder.reload()).ok).toBe(true);
    expect((await p.get(digestPath())).status).toBe(403);
  });
});
