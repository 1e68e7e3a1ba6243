// A hedge loser is not a failure: a first mirror that answers after the hedge
// delay, but well within its own timeout, loses every race to a faster twin
// and is aborted; that says nothing against it. Counting it as a timeout
// opened circuits for endpoints that were only slower than their twin (or
// only late because our own event loop lagged). One loser per endpoint is
// left to finish as its probe (src/pull/probes.ts): its real answer counts.
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(53);
const scene = useTwoMirrors(image);
// By tag: a digest request would go first to the endpoint that served the last one (affinity).
const byTag = '/v2/src/ns/app/manifests/v1';
const ROUNDS = 6;

describe('hedge losers and health', () => {
  it('a slow-but-healthy first mirror that loses every race keeps its circuit closed, and its real latency is recorded', async () => {
    scene.m1.faults = { delayMs: 2_000 };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 30 }, health: { failure_threshold: 2, cool_down_ms: 60_000 } }, { headers_timeout_ms: 10_000 }, { never: true });
    for (let i = 0; i < ROUNDS; i++) {
      const res = await p.get(byTag);
      expect(res.status).toBe(200);
    }
    const rounds = p.attemptsFor(byTag);
    // The first round raced m1 and m2 won; m1's loser ran on as its probe, and while that probe was silent for
    // longer than the delay, m1 went after m2, which served each time. m1 was never skipped as open.
    // (On a loaded machine m2 may itself take longer than the delay, and m1 then joins as a hedge and loses.)
    // So after the first round m2 starts first: its answer is never a hedge.
    const [first, ...rest] = rounds;
    expect(first?.map((a) => a.outcome)).toEqual(['ok', 'aborted']);
    for (const r of rest) {
      expect(r[0]).toMatchObject({ endpoint: `${scene.m2.host}/ns/app:v1`, outcome: 'ok' });
      expect(r[0]?.hedged).toBeUndefined();
      expect(r.slice(1).map((a) => a.outcome)).toEqual(r.length > 1 ? ['aborted'] : []);
    }
    // That attempt runs on as m1's probe.
    expect(p.proxy.pull.probes.has(scene.m1.host)).toBe(true);
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('closed');
    // No success with the time a loser had run when it was cut: until the probe answers, no latency is known for m1.
    expect(p.proxy.pull.health.latency(scene.m1.host)).toBeUndefined();
    await p.proxy.pull.probes.idle();
    // The probe's answer, a success with m1's real latency (the fake waits 2 s before it answers).
    expect(p.proxy.pull.health.latency(scene.m1.host)).toBeGreaterThanOrEqual(2_000);
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('closed');
    expect(p.proxy.pull.health.snapshot().find((e) => e.endpoint === scene.m1.host)).toMatchObject({ failures: 0, lastOutcome: 'ok' });
  });
});
