// Mirror health (circuit breaking) and hedged requests over real sockets.
// Effects are asserted by counting upstream requests and reading the logged
// attempts, never by timing.
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(51);
const scene = useTwoMirrors(image);
const start = (sections: Record<string, Record<string, unknown>>, upstream: Record<string, unknown> = {}) => scene.start(sections, upstream);
const byDigest = () => `/v2/src/ns/app/manifests/${image.manifestDigest}`;
const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker', () => {
  // Tag requests: digest requests would go first to the endpoint that served the last manifest (affinity).
  const byTag = '/v2/src/ns/app/manifests/v1';
  it('skips a failing mirror after the threshold, probes it after the cool-down, and closes on success', async () => {
    scene.m1.faults = { status: 500 };
    const p = await start({ health: { failure_threshold: 3, cool_down_ms: 300 } });
    for (let i = 0; i < 6; i++) expect((await p.get(byTag)).status).toBe(200);
    expect(scene.m1.count('/manifests/')).toBe(3);
    const skipped = p.attemptsFor(byTag).at(-1);
    expect(skipped?.[0]).toMatchObject({ endpoint: `${scene.m1.host}/ns/app:v1`, outcome: 'circuit_open' });
    scene.m1.faults = {};
    await waitMs(350);
    const probe = await p.get(byTag);
    expect(probe.headers['x-mirrorgate-served-by']).toContain(scene.m1.host);
    expect((await p.get(byTag)).headers['x-mirrorgate-served-by']).toContain(scene.m1.host);
    expect(scene.m1.count('/manifests/')).toBe(5);
  });

  it('a failed probe opens the circuit again', async () => {
    scene.m1.faults = { status: 503 };
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 1_000 } });
    await p.get(byTag);
    await waitMs(1_100);
    await p.get(byTag); // the probe, fails
    await p.get(byTag); // skipped again
    expect(scene.m1.count('/manifests/')).toBe(2);
  });

  it('when every endpoint is open, the plan is still tried in order', async () => {
    for (const r of [scene.m1, scene.m2, scene.source]) r.faults = { status: 500 };
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 60_000 } });
    expect((await p.get(byTag)).status).toBe(502);
    for (const r of [scene.m1, scene.m2, scene.source]) r.faults = {};
    const res = await p.get(byTag);
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m1.host);
    expect(p.attemptsFor(byTag).at(-1)?.map((a) => a.outcome)).toEqual(['circuit_open', 'circuit_open', 'circuit_open', 'ok']);
  });

  it('404s do not open the circuit: they say nothing about the health of the mirror', async () => {
    scene.m1.manifests.clear();
    const p = await start({ health: { failure_threshold: 1, cool_down_ms: 60_000 } });
    for (let i = 0; i < 3; i++) await p.get(byTag);
    expect(scene.m1.count('/manifests/')).toBe(3);
  });
});

describe('hedged requests', () => {
  it('a hung first mirror: the next starts after the hedge delay, wins, and the loser is aborted', async () => {
    scene.m1.faults = { hang: true };
    // NeverContactSource: on a loaded machine m2 may take longer than the delay, and a third,
    // hedged try of the source would then join the race this test reads.
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 100 } }, { headers_timeout_ms: 10_000 }, { never: true });
    const res = await p.get(byDigest());
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m2.host);
    const attempts = p.attemptsFor(byDigest())[0];
    expect(attempts).toEqual([
      expect.objectContaining({ endpoint: `${scene.m2.host}/ns/app@${image.manifestDigest}`, outcome: 'ok', hedged: true }),
      expect.objectContaining({ endpoint: `${scene.m1.host}/ns/app@${image.manifestDigest}`, outcome: 'aborted', message: expect.stringContaining('lost the hedge race') }),
    ]);
    // That first loser finishes in the background as m1's probe (hedge-probe.test.ts). While it has been
    // silent for longer than the delay, m1 goes after m2: the next request (by tag: not cached yet, and on m1
    // first by the plan) does not wait for it again.
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    // m2 started first, so its answer is no hedge (on a loaded machine m1 may still join as one and lose).
    const second = p.attemptsFor('/v2/src/ns/app/manifests/v1')[0];
    expect(second?.[0]).toMatchObject({ endpoint: `${scene.m2.host}/ns/app:v1`, outcome: 'ok' });
    expect(second?.[0]?.hedged).toBeUndefined();
  });

  it('off: the walk waits for the hung mirror to time out before trying the next', async () => {
    scene.m1.faults = { hang: true };
    const p = await start({ hedge: { mode: 'off' } }, { headers_timeout_ms: 300 });
    const res = await p.get(byDigest());
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m2.host);
    expect(p.attemptsFor(byDigest())[0]?.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
  });

  it('adaptive: hedges once a mirror is much slower than its own average', async () => {
    const p = await start({ hedge: { mode: 'adaptive', delay_ms: 2_000, min_delay_ms: 20 } }, { headers_timeout_ms: 10_000 });
    for (let i = 0; i < 5; i++) expect((await p.get(byDigest())).headers['x-mirrorgate-served-by']).toContain(scene.m1.host);
    scene.m1.faults = { delayMs: 1_500 };
    const res = await p.get(byDigest());
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m2.host);
    expect(p.attemptsFor(byDigest()).at(-1)?.[0]).toMatchObject({ outcome: 'ok', hedged: true });
  });

  it('blob streams are never hedged', async () => {
    const layer = image.layers[0] as { digest: string };
    scene.m1.faults = { delayMs: 300 };
    const p = await start({ hedge: { mode: 'fixed', delay_ms: 50 } });
    const res = await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    expect(scene.m2.count('/blobs/')).toBe(0);
  });
});

describe('per-endpoint timeouts', () => {
  it('a short first-byte timeout for one mirror fails it over quickly while others keep the default', async () => {
    // Without its override scene.m1 would answer at 1.5 s, well inside the 5 s default.
    scene.m1.faults = { delayMs: 1_500 };
    const p = await start({ endpoint_timeouts: { [scene.m1.host]: { headers_timeout_ms: 200 } } }, { headers_timeout_ms: 5_000 });
    const res = await p.get(`/v2/src/ns/app/manifests/v1`);
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m2.host);
    expect(p.attemptsFor('/v2/src/ns/app/manifests/v1')[0]?.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
  });
});

describe('hedging and health together', () => {
  it('a hung mirror that keeps losing hedge races opens its circuit (through its probes), so later requests skip it', async () => {
    scene.m1.faults = { hang: true };
    const p = await start({ hedge: { mode: 'fixed', delay_ms: 50 }, health: { failure_threshold: 3, cool_down_ms: 60_000 } }, { headers_timeout_ms: 300, affinity_ttl_ms: 1 });
    const byTag = '/v2/src/ns/app/manifests/v1';
    // Manifests only. Each race is lost; one loser at a time runs on as m1's probe and times out (bounded:
    // 400 requests over at least 8 s; while a probe is silent the requests go to m2 first and are quick,
    // so the loop paces them).
    for (let i = 0; i < 400 && p.proxy.pull.health.state(scene.m1.host) === 'closed'; i++) {
      expect((await p.get(byTag)).status).toBe(200);
      await waitMs(20);
    }
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('open');
    // m1 lost its races (one loser at a time running on as its probe); a request sees m1 time out itself
    // only on a machine so loaded that m2 took longer than m1's 300 ms first-byte timeout.
    expect(p.attemptsFor(byTag).some((a) => a.some((x) => x.outcome === 'aborted'))).toBe(true);
    for (let i = 0; i < 2; i++) expect((await p.get(byTag)).status).toBe(200);
    expect(p.attemptsFor(byTag).slice(-2).map((a) => a.map((x) => x.outcome))).toEqual([['circuit_open', 'ok'], ['circuit_open', 'ok']]);
  });
});
