// A request's abort signal is made only when it contacts an upstream (issue
// 11: a cache hit makes none); a client that leaves during a manifest fetch
// must still abort that fetch, and the walk must not go on to the next endpoint.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(64);
let mirror: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  for (const r of [mirror, source]) pushImage(r, 'ns/app', image, 'v1');
  // The mirror never answers; only the client's leaving can end the proxy's request to it.
  mirror.faults = { hang: true };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [`${mirror.host}/ns`]), { aliases: { src: source.host }, headers_timeout_ms: 60_000 }, { cache: { max_bytes: 1 << 20, tag_ttl_ms: 60_000 } });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([mirror, source].map((r) => r?.stop()));
});

it('a client leaving during a manifest fetch aborts it, and no other endpoint is asked', async () => {
  const controller = new AbortController();
  const pending = request(`${proxy.url}/v2/src/ns/app/manifests/v1`, { signal: controller.signal }).catch(() => undefined);
  await vi.waitFor(() => expect(mirror.count('/manifests/v1')).toBe(1), { timeout: 5_000, interval: 10 });
  controller.abort();
  await pending;
  await vi.waitFor(() => expect(mirror.closedEarly).toBe(1), { timeout: 5_000, interval: 20 });
  expect(source.count('/manifests/v1')).toBe(0);
  await vi.waitFor(() => expect(proxy.logs.filter((l) => l.path === '/v2/src/ns/app/manifests/v1')).toHaveLength(1), { timeout: 5_000, interval: 20 });
});
