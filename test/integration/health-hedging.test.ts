// Mirror health (circuit breaking) and hedged requests over real sockets.
// Effects are asserted by counting upstream requests and reading the logged
// attempts, never by timing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../fakes/fake-registry.js';
import { makeImage, pushImage } from '../fakes/image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(51);
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

const rules = () => mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`, `${m2.host}/ns`], [`${m1.host}/ns`, `${m2.host}/ns`]);
const start = async (sections: Record<string, Record<string, unknown>>, upstream: Record<string, unknown> = {}) => {
  proxy = await startTestProxy(rules(), { aliases: { src: source.host }, ...upstream }, sections);
  return proxy;
};
const byDigest = () => `/v2/src/ns/app/manifests/${image.manifestDigest}`;
const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker', () => {
  // Tag requests: digest requests would go first to the endpoint that served the last manifest (affinity).
  const byTag = '/v2/src/ns/app/manifests/v1';
  it('skips a failing mirror after the threshold, probes it after the cool-down, and closes on success', async () => {
    m1.faults = { status: 500 };
    const p = await start({ health: { failure_threshold: 3, cool_down_ms: 300 } });
    for (let i = 0; i < 6; i++) expect((await p.get(byTag)).status).toBe(200);
    expect(m1.count('/manifests/')).toBe(3);
    const skipped = p.attemptsFor(byTag).at(-1);
    expect(skipped?.[0]).toMatchObject({ endpoint: `${m1.host}/ns/app:v1`, outcome: 'circuit_open' });
    m1.faults = {};
    await waitMs(350);
    const probe = await p.get(byTag);
    expect(probe.headers['x-mirrorgate-served-by']).toContain(m1.host);
    expect((await p.get(byTag)).headers['x-mirrorgate-served-by']).toContain(m1.host);
    expect(m1.count('/manifests/')).toBe(5);
  });

  it('a failed probe opens the circuit again', async () => {
    m1.faults = { status: 503 };
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 200 } });
    await p.get(byTag);
    await waitMs(250);
    await p.get(byTag); // the probe, fails
    await p.get(byTag); // skipped again
    expect(m1.count('/manifests/')).toBe(2);
  });

  it('when every endpoint is open, the plan is still tried in order', async () => {
    for (const r of [m1, m2, source]) r.faults = { status: 500 };
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 60_000 } });
    expect((await p.get(byTag)).status).toBe(502);
    for (const r of [m1, m2, source]) r.faults = {};
    const res = await p.get(byTag);
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m1.host);
    expect(p.attemptsFor(byTag).at(-1)?.map((a) => a.outcome)).toEqual(['circuit_open', 'circuit_open', 'circuit_open', 'ok']);
  });

  it('404s do not open the circuit: they say nothing about the health of the mirror', async () => {
    m1.manifests.clear();
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 60_000 } });
    for (let i = 0; i < 3; i++) await p.get(byTag);
    expect(m1.count('/manifests/')).toBe(3);
  });
});

describe('hedged requests', () => {
  it('a hung first mirror: the next starts after the hedge delay, wins, and the loser is aborted', async () => {
    m1.faults = { hang: true };
    const p = await start({ hedge: { mode: 'fixed', delay_ms: 100 } }, { headers_timeout_ms: 10_000 });
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    const attempts = p.attemptsFor(byDigest())[0];
    expect(attempts).toEqual([
      expect.objectContaining({ endpoint: `${m2.host}/ns/app@${image.manifestDigest}`, outcome: 'ok', hedged: true }),
      expect.objectContaining({ endpoint: `${m1.host}/ns/app@${image.manifestDigest}`, outcome: 'aborted', message: 'lost the hedge race' }),
    ]);
    await waitMs(50);
    expect(m1.closedEarly).toBeGreaterThanOrEqual(1);
  });

  it('off: the walk waits for the hung mirror to time out before trying the next', async () => {
    m1.faults = { hang: true };
    const p = await start({ hedge: { mode: 'off' } }, { headers_timeout_ms: 300 });
    const res = await p.get(byDigest());
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect(p.attemptsFor(byDigest())[0]?.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
  });

  it('adaptive: hedges once a mirror is much slower than its own average', async () => {
    const p = await start({ hedge: { mode: 'adaptive', delay_ms: 2_000, min_delay_ms: 20 } }, { headers_timeout_ms: 10_000 });
    for (let i = 0; i < 5; i++) expect((await p.get(byDigest())).headers['x-mirrorgate-served-by']).toContain(m1.host);
    m1.faults = { delayMs: 1_500 };
    const res = await p.get(byDigest());
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect(p.attemptsFor(byDigest()).at(-1)?.[0]).toMatchObject({ outcome: 'ok', hedged: true });
  });

  it('blob streams are never hedged', async () => {
    const layer = image.layers[0] as { digest: string };
    m1.faults = { delayMs: 300 };
    const p = await start({ hedge: { mode: 'fixed', delay_ms: 50 } });
    const res = await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    expect(m2.count('/blobs/')).toBe(0);
  });
});

describe('per-endpoint timeouts', () => {
  it('a short first-byte timeout for one mirror fails it over quickly while others keep the default', async () => {
    // Without its override m1 would answer at 1.5 s, well inside the 5 s default.
    m1.faults = { delayMs: 1_500 };
    const p = await start({ endpoint_timeouts: { [m1.host]: { headers_timeout_ms: 200 } } }, { headers_timeout_ms: 5_000 });
    const res = await p.get(`/v2/src/ns/app/manifests/v1`);
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    expect(p.attemptsFor('/v2/src/ns/app/manifests/v1')[0]?.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
  });
});
