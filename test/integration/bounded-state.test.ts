// In open mode every host a client names becomes an endpoint; the per-endpoint
// tables (circuits, latencies, Retry-After) stay within health.max_endpoints.
// Thousands of distinct loopback addresses (127.0.0.0/8, port 9: refused at
// once) stand for thousands of registries.
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

let proxy: TestProxy;
afterEach(() => proxy.close());

const ENDPOINTS = 600;
const MAX = 50;
const CONCURRENCY = 32;

it(`${ENDPOINTS} distinct endpoints leave at most health.max_endpoints circuits`, async () => {
  proxy = await startTestProxy({ 'rules.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n' }, { open: true }, { health: { max_endpoints: MAX } });
  const hosts = Array.from({ length: ENDPOINTS }, (_, i) => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:9`);
  const statuses = new Map<number, number>();
  for (let i = 0; i < hosts.length; i += CONCURRENCY) {
    await Promise.all(
      hosts.slice(i, i + CONCURRENCY).map(async (host) => {
        const res = await request(`${proxy.url}/v2/${host}/ns/app/manifests/v1`);
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }),
    );
  }
  // Every request reached its endpoint and failed there (nothing listens on port 9).
  expect(statuses.get(503)).toBe(ENDPOINTS);
  const metrics = await proxy.get('/metrics');
  const circuits = metrics.body.toString().split('\n').filter((l) => l.startsWith('mirrorgate_circuit_state{'));
  expect(circuits.length).toBeGreaterThan(0);
  expect(circuits.length).toBeLessThanOrEqual(MAX);
}, 60_000);
