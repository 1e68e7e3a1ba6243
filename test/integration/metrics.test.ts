// /metrics after a scripted scenario: the counters' values, not just their names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sample } from '../helpers/prometheus.js';

const image = makeImage(61);
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let text = '';

beforeAll(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m2, source]) pushImage(r, 'ns/app', image, 'v1');
  pushImage(source, 'ns/only-source', image, 'v1');
  m1.faults = { status: 500 };
  source.faults = { tokenAuth: {} };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`]), { aliases: { src: source.host } }, { health: { failure_threshold: 2, cool_down_ms: 60_000 } });
  // The script: two tag pulls served by m2 after m1 fails (m1's circuit opens on the second),
  // a third that skips m1, one served by the source after both mirrors, one not-allowed registry,
  // one push, one ping.
  for (let i = 0; i < 3; i++) expect((await proxy.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
  expect((await proxy.get('/v2/src/ns/only-source/manifests/v1')).status).toBe(200);
  expect((await proxy.get('/v2/x/manifests/v1?ns=elsewhere.example.com')).status).toBe(403);
  expect((await proxy.get('/v2/src/ns/app/manifests/v1', {}, 'PUT')).status).toBe(405);
  expect((await proxy.get('/v2/')).status).toBe(200);
  const res = await proxy.get('/metrics');
  expect(res.headers['content-type']).toContain('text/plain');
  text = res.body.toString();
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

describe('metrics after the scenario', () => {
  it.each([
    ['mirrorgate_http_requests_total', { route: 'manifests', method: 'GET', status: '200' }, 4],
    ['mirrorgate_http_requests_total', { route: 'manifests', method: 'GET', status: '403' }, 1],
    ['mirrorgate_http_requests_total', { route: 'unsupported', method: 'PUT', status: '405' }, 1],
    ['mirrorgate_http_requests_total', { route: 'ping', method: 'GET', status: '200' }, 1],
    ['mirrorgate_http_request_duration_seconds_count', { route: 'manifests', method: 'GET' }, 5],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M1', outcome: 'status_5xx', role: 'mirror' }, 2],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M1', outcome: 'circuit_open', role: 'mirror' }, 2],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M2', outcome: 'ok', role: 'mirror' }, 3],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M2', outcome: 'not_found', role: 'mirror' }, 1],
    ['mirrorgate_upstream_served_total', { endpoint: 'M2', role: 'mirror' }, 3],
    ['mirrorgate_upstream_served_total', { endpoint: 'SRC', role: 'source' }, 1],
    ['mirrorgate_fallback_to_source_total', { route: 'manifests' }, 1],
    ['mirrorgate_denials_total', { reason: 'not_allowed' }, 1],
    ['mirrorgate_circuit_skips_total', { endpoint: 'M1' }, 2],
    ['mirrorgate_circuit_state', { endpoint: 'M1' }, 2],
    ['mirrorgate_circuit_state', { endpoint: 'M2' }, 0],
    ['mirrorgate_token_fetches_total', { registry: 'SRC', result: 'ok' }, 1],
    ['mirrorgate_rules_generation', {}, 1],
    ['mirrorgate_rules_last_reload_ok', {}, 1],
    ['mirrorgate_rules_objects', { kind: 'ImageDigestMirrorSet' }, 1],
    ['mirrorgate_rules_objects', { kind: 'Image' }, 1],
  ] as const)('%s %o = %d', (name, labels, value) => {
    const hosts: Record<string, string> = { M1: m1.host, M2: m2.host, SRC: source.host };
    const resolved = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, hosts[v] ?? v]));
    expect(sample(text, name, resolved)).toBe(value);
  });

  it('counts the bytes served per endpoint', () => {
    expect(sample(text, 'mirrorgate_upstream_served_bytes_total', { endpoint: m2.host })).toBe(3 * image.manifest.length);
  });

  it('names every metric with the mirrorgate_ prefix', () => {
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((n) => !n.startsWith('mirrorgate_'))).toEqual([]);
  });
});
