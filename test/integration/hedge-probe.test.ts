// A hedge loser as its endpoint's health probe (src/pull/probes.ts): per
// endpoint one loser at a time finishes in the background, detached from its
// request, and its outcome counts. Effects are counted at the fakes and in
// the proxy's health table, never timed.
import { describe, expect, it } from 'vitest';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(57);
const scene = useTwoMirrors(image);
// By tag: a digest request would go first to the endpoint that served the last one (affinity).
const byTag = (tag = 'v1') => `/v2/src/ns/app/manifests/${tag}`;
const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `done()` holds; returns whether it did. */
async function until(done: () => boolean, rounds = 200, stepMs = 10): Promise<boolean> {
  for (let i = 0; i < rounds && !done(); i++) await waitMs(stepMs);
  return done();
}

describe('hedge losers as health probes', () => {
  it('a hung first mirror under manifest-only traffic: its probes time out, its circuit opens, and requests stop going to it', async () => {
    scene.m1.faults = { hang: true };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 30 }, health: { failure_threshold: 3, cool_down_ms: 60_000 } }, { headers_timeout_ms: 200 }, { never: true });
    let sent = 0;
    // Each probe ends by the 200 ms first-byte timeout (undici checks it on a coarse timer: up to about
    // a second); three of them open the circuit. Bounded: 400 requests over at least 8 s; while a probe is
    // silent the requests go to m2 first and are quick, so the loop paces them.
    while (p.proxy.pull.health.state(scene.m1.host) === 'closed' && sent < 400) {
      expect((await p.get(byTag())).status).toBe(200);
      sent++;
      await waitMs(20);
    }
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('open');
    // m2 served every request. m1's attempts lost their race (one at a time running on as its probe), or,
    // while m1's probe was silent for longer than the delay, came after m2's answer; only on a machine so
    // loaded that m2 took longer than m1's 200 ms first-byte timeout did a request see m1 time out itself.
    // The last request may find the circuit open: a probe can time out between the loop's look and its walk.
    const outcomes = p.attemptsFor(byTag()).map((a) => a.map((x) => x.outcome).join());
    const last = outcomes.at(-1) === 'circuit_open,ok' ? outcomes.slice(0, -1) : outcomes;
    expect(last.every((o) => ['ok,aborted', 'ok', 'timeout,ok'].includes(o)), JSON.stringify(outcomes)).toBe(true);
    expect(outcomes).toContain('ok,aborted');
    await p.proxy.pull.probes.idle();
    const seen = scene.m1.count('/manifests/');
    for (let i = 0; i < 5; i++) expect((await p.get(byTag())).status).toBe(200);
    // Once open, m1 is skipped: no hedge delay, no more requests to it.
    expect(scene.m1.count('/manifests/')).toBe(seen);
    expect(p.attemptsFor(byTag()).slice(-5).map((a) => a.map((x) => x.outcome))).toEqual(Array.from({ length: 5 }, () => ['circuit_open', 'ok']));
  });

  it('at most one probe per endpoint: of many concurrent hedged requests, only one loser stays open at the hung mirror', async () => {
    const N = 8;
    const tags = Array.from({ length: N }, (_, i) => `t${i}`);
    // Distinct tags: identical concurrent requests would share one upstream fetch.
    for (const r of [scene.m1, scene.m2]) for (const t of tags) pushImage(r, 'ns/app', image, t);
    scene.m1.faults = { hang: true };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 30 } }, { headers_timeout_ms: 15_000 }, { never: true });
    const answers = await Promise.all(tags.map((t) => p.get(byTag(t))));
    expect(answers.map((a) => a.status)).toEqual(tags.map(() => 200));
    // Every request went to m1 first (on a loaded machine m1 may see the last ones after m2 answered them).
    expect(await until(() => scene.m1.count('/manifests/') === N)).toBe(true);
    // Every cut loser's connection closes at m1; the probe's stays open.
    expect(await until(() => scene.m1.closedEarly >= N - 1)).toBe(true);
    await waitMs(50);
    expect(scene.m1.count('/manifests/') - scene.m1.closedEarly).toBe(1);
    expect(p.proxy.pull.probes.size).toBe(1);
  });

  it("the client's response does not wait for the probe, which outlives its request and then counts", async () => {
    scene.m1.faults = { delayMs: 1_500 };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 30 } }, { headers_timeout_ms: 10_000 }, { never: true });
    const res = await p.get(byTag());
    expect(res.headers['x-mirrorgate-served-by']).toContain(scene.m2.host);
    // Answered while m1 has not: its attempt runs on as the probe.
    expect(p.proxy.pull.probes.has(scene.m1.host)).toBe(true);
    expect(p.proxy.pull.health.latency(scene.m1.host)).toBeUndefined();
    await p.proxy.pull.probes.idle();
    expect(scene.m1.closedEarly).toBe(0);
    expect(p.proxy.pull.health.latency(scene.m1.host)).toBeGreaterThanOrEqual(1_500);
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('closed');
  });

  it('shutdown aborts a running probe, and that abort says nothing against the endpoint', async () => {
    scene.m1.faults = { hang: true };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 30 }, health: { failure_threshold: 1, cool_down_ms: 60_000 } }, { headers_timeout_ms: 15_000 }, { never: true });
    expect((await p.get(byTag())).status).toBe(200);
    expect(p.proxy.pull.probes.size).toBe(1);
    const probes = p.proxy.pull.probes;
    const health = p.proxy.pull.health;
    // Without the abort, closing the upstream agents would wait for m1's 15 s first-byte timeout.
    await p.close();
    expect(probes.size).toBe(0);
    expect(health.state(scene.m1.host)).toBe('closed');
  });
});
