// /metrics after a scripted scenario over real sockets: the series' values,
// not just their names, and the conventions dashboards rely on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { packageVersion } from '../../src/observability/build-info.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sample } from '../helpers/prometheus.js';

const image = makeImage(61);
const WALL = Date.UTC(2026, 10, 23, 12, 0, 0);
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let text = '';

/** Every series of `name`: its labels. */
const series = (name: string): Record<string, string>[] =>
  [...text.matchAll(new RegExp(`^${name}\\{(.*)\\} \\S+$`, 'gm'))].map((m) => Object.fromEntries([...(m[1] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]])));

beforeAll(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m2, source]) pushImage(r, 'ns/app', image, 'v1');
  pushImage(source, 'ns/only-source', image, 'v1');
  m1.faults = { status: 500 };
  source.faults = { tokenAuth: {} };
  proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`]),
    { aliases: { src: source.host } },
    { health: { failure_threshold: 2, cool_down_ms: 60_000 } },
    { wallClock: { now: () => WALL } },
  );
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
  await proxy?.close();
  await Promise.all([m1, m2, source].map((r) => r?.stop()));
});

describe('metrics after the scenario', () => {
  it.each([
    ['mirrorgate_http_requests_total', { route: 'manifests', method: 'GET', code: '200' }, 4],
    ['mirrorgate_http_requests_total', { route: 'manifests', method: 'GET', code: '403' }, 1],
    ['mirrorgate_http_requests_total', { route: 'unsupported', method: 'PUT', code: '405' }, 1],
    ['mirrorgate_http_requests_total', { route: 'ping', method: 'GET', code: '200' }, 1],
    ['mirrorgate_http_request_duration_seconds_count', { route: 'manifests', method: 'GET', code: '200' }, 4],
    ['mirrorgate_http_response_size_bytes_count', { route: 'manifests', method: 'GET', code: '200' }, 4],
    ['mirrorgate_http_response_size_bytes_sum', { route: 'ping', method: 'GET', code: '200' }, 2],
    // The scrape itself is the one request in flight while it is collected.
    ['mirrorgate_http_requests_in_flight', {}, 1],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M1', outcome: 'status_5xx', role: 'mirror' }, 2],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M1', outcome: 'circuit_open', role: 'mirror' }, 2],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M2', outcome: 'ok', role: 'mirror' }, 3],
    ['mirrorgate_upstream_attempts_total', { endpoint: 'M2', outcome: 'not_found', role: 'mirror' }, 1],
    ['mirrorgate_upstream_attempt_duration_seconds_count', { endpoint: 'M1', outcome: 'status_5xx' }, 2],
    ['mirrorgate_upstream_attempt_duration_seconds_count', { endpoint: 'M2', outcome: 'ok' }, 3],
    ['mirrorgate_upstream_attempt_duration_seconds_count', { endpoint: 'SRC', outcome: 'ok' }, 1],
    ['mirrorgate_upstream_served_total', { endpoint: 'M2', role: 'mirror' }, 3],
    ['mirrorgate_upstream_served_total', { endpoint: 'SRC', role: 'source' }, 1],
    ['mirrorgate_fallback_to_source_total', { route: 'manifests' }, 1],
    ['mirrorgate_denials_total', { reason: 'not_allowed' }, 1],
    ['mirrorgate_circuit_state', { endpoint: 'M1', state: 'open' }, 1],
    ['mirrorgate_circuit_state', { endpoint: 'M1', state: 'closed' }, 0],
    ['mirrorgate_circuit_state', { endpoint: 'M1', state: 'half-open' }, 0],
    ['mirrorgate_circuit_state', { endpoint: 'M2', state: 'closed' }, 1],
    ['mirrorgate_circuit_state', { endpoint: 'M2', state: 'open' }, 0],
    ['mirrorgate_hedges_started_total', {}, 0],
    ['mirrorgate_hedges_won_total', {}, 0],
    ['mirrorgate_token_fetches_total', { registry: 'SRC', result: 'ok' }, 1],
    ['mirrorgate_rules_generation', {}, 1],
    ['mirrorgate_last_reload_successful', {}, 1],
    ['mirrorgate_last_reload_success_timestamp_seconds', {}, WALL / 1000],
    ['mirrorgate_rules_objects', { kind: 'ImageDigestMirrorSet' }, 1],
    ['mirrorgate_rules_objects', { kind: 'Image' }, 1],
    ['mirrorgate_build_info', { version: packageVersion(), node: process.version }, 1],
  ] as const)('%s %o = %d', (name, labels, value) => {
    const hosts: Record<string, string> = { M1: m1.host, M2: m2.host, SRC: source.host };
    const resolved = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, hosts[v] ?? v]));
    expect(sample(text, name, resolved)).toBe(value);
  });

  it('counts the bytes served per endpoint, and each answer in the size histogram', () => {
    expect(sample(text, 'mirrorgate_upstream_served_bytes_total', { endpoint: m2.host })).toBe(3 * image.manifest.length);
    expect(sample(text, 'mirrorgate_http_response_size_bytes_sum', { route: 'manifests', method: 'GET', code: '200' })).toBe(4 * image.manifest.length);
  });

  it('one circuit series per endpoint and state, each 0 or 1', () => {
    const circuits = series('mirrorgate_circuit_state');
    expect(circuits.filter((l) => l.endpoint === m1.host).map((l) => l.state).sort()).toEqual(['closed', 'half-open', 'open']);
    for (const endpoint of [m1.host, m2.host]) {
      const values = ['closed', 'half-open', 'open'].map((state) => sample(text, 'mirrorgate_circuit_state', { endpoint, state }));
      expect(values.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(1);
    }
  });

  it('prefixes its own metrics with mirrorgate_ and leaves Node process metrics unprefixed', () => {
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string);
    expect(names.filter((n) => !/^(mirrorgate_|process_|nodejs_)/.test(n))).toEqual([]);
    expect(names).toContain('process_cpu_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_heap_size_used_bytes');
    expect(names.filter((n) => n.startsWith('mirrorgate_process') || n.startsWith('mirrorgate_nodejs'))).toEqual([]);
  });

  it('uses `code` for the status label and has no retired series', () => {
    expect(text).not.toMatch(/status="/);
    for (const gone of ['mirrorgate_circuit_skips_total', 'mirrorgate_hedges_total', 'mirrorgate_rules_last_reload_ok']) expect(text).not.toContain(gone);
  });

  it('has a help text for every metric', () => {
    const types = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    const helps = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]));
    expect(types.filter((t) => !helps.has(t))).toEqual([]);
  });
});

describe('label cardinality with an open proxy', () => {
  it('folds endpoints beyond metrics.max_endpoints into "other"', async () => {
    const open = await startTestProxy(mirrorRules('a.example/ns', [], []), { open: true, connect_timeout_ms: 500 }, { metrics: { max_endpoints: 5 } });
    try {
      // 30 distinct closed loopback ports: each a new upstream endpoint chosen by the client.
      const ports = Array.from({ length: 30 }, (_, i) => i + 1);
      for (const port of ports) expect((await open.get(`/v2/127.0.0.1:${port}/x/manifests/v1`)).status).toBeGreaterThanOrEqual(500);
      text = (await open.get('/metrics')).body.toString();
      const endpoints = new Set(series('mirrorgate_upstream_attempts_total').map((l) => l.endpoint));
      expect(endpoints.size).toBeLessThanOrEqual(6);
      expect(endpoints.has('other')).toBe(true);
      const attempts = series('mirrorgate_upstream_attempts_total').map((l) => sample(text, 'mirrorgate_upstream_attempts_total', l) ?? 0);
      expect(attempts.reduce((a, b) => a + b, 0)).toBe(ports.length);
      for (const name of ['mirrorgate_upstream_attempt_duration_seconds_count', 'mirrorgate_circuit_state']) {
        expect(new Set(series(name).map((l) => l.endpoint)).size, name).toBeLessThanOrEqual(6);
      }
    } finally {
      await open.close();
    }
  });
});

describe('coalesced requests', () => {
  it('count as served per request; their upstream attempts once', async () => {
    const slow = await fakeRegistry();
    pushImage(slow, 'ns/app', image, 'v1');
    const p = await startTestProxy(mirrorRules(`${slow.host}/ns`, [], []), { aliases: { src: slow.host } });
    try {
      slow.faults = { delayMs: 1500 };
      const inFlight = async () => sample((await p.get('/metrics')).body.toString(), 'mirrorgate_http_requests_in_flight');
      const leader = request(`${p.url}/v2/src/ns/app/manifests/v1`);
      for (let i = 0; i < 200 && slow.count('/manifests/v1') === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const follower = request(`${p.url}/v2/src/ns/app/manifests/v1`);
      // Both requests and this scrape: the follower has arrived and (synchronously) joined the leader's fetch.
      for (let i = 0; i < 200 && (await inFlight()) !== 3; i++) await new Promise((r) => setTimeout(r, 5));
      const answers = await Promise.all([leader, follower].map(async (r) => ((await r).body.dump(), (await r).statusCode)));
      expect(answers).toEqual([200, 200]);
      expect(slow.count('/manifests/v1')).toBe(1);
      const t = (await p.get('/metrics')).body.toString();
      expect(sample(t, 'mirrorgate_upstream_served_total', { endpoint: slow.host, role: 'source' })).toBe(2);
      expect(sample(t, 'mirrorgate_upstream_served_bytes_total', { endpoint: slow.host })).toBe(2 * image.manifest.length);
      expect(sample(t, 'mirrorgate_upstream_attempts_total', { endpoint: slow.host, outcome: 'ok', role: 'source' })).toBe(1);
      expect(sample(t, 'mirrorgate_cache_requests_total', { kind: 'tag', result: 'coalesced' })).toBe(1);
      const lines = p.logs.filter((l) => l.msg === 'request' && l.path === '/v2/src/ns/app/manifests/v1');
      expect(lines).toHaveLength(2);
      for (const l of lines) expect(l).toMatchObject({ code: 200, bytes: image.manifest.length, servedBy: `${slow.host}/ns/app:v1` });
      const follow = lines.find((l) => l.coalesced === true);
      expect(follow?.cache).toBe('tag coalesced');
      expect((follow?.attempts as { outcome: string }[]).map((a) => a.outcome)).toEqual(['ok']);
    } finally {
      await p.close();
      await slow.stop();
    }
  });
});

describe('hedges', () => {
  it('count one started and one won when a hung mirror loses the race', async () => {
    const [hung, fast] = await Promise.all([fakeRegistry(), fakeRegistry()]);
    pushImage(fast, 'ns/app', image, 'v1');
    hung.faults = { hang: true };
    const p = await startTestProxy(mirrorRules(`${fast.host}/ns`, [`${hung.host}/ns`], []), { aliases: { src: fast.host }, headers_timeout_ms: 10_000 }, { hedge: { mode: 'fixed', delay_ms: 100 } });
    try {
      expect((await p.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`)).status).toBe(200);
      const t = (await p.get('/metrics')).body.toString();
      expect(sample(t, 'mirrorgate_hedges_started_total')).toBe(1);
      expect(sample(t, 'mirrorgate_hedges_won_total')).toBe(1);
      expect(sample(t, 'mirrorgate_upstream_attempts_total', { endpoint: hung.host, outcome: 'aborted', role: 'mirror' })).toBe(1);
      // The loser's time says nothing about the endpoint: not observed.
      expect(sample(t, 'mirrorgate_upstream_attempt_duration_seconds_count', { endpoint: hung.host, outcome: 'aborted' })).toBeUndefined();
    } finally {
      await p.close();
      await Promise.all([hung.stop(), fast.stop()]);
    }
  });
});
