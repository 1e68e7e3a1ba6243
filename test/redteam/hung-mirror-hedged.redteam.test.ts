// Red team: a hung first mirror (accepts the request, never answers) behind
// hedging. Every manifest request by tag races it; the second mirror wins
// after the hedge delay and the hung one's attempt is cut as a loser. If a
// loser says nothing about health, the hung mirror's circuit never opens:
// every request goes on paying the hedge delay and sending it a request.
// (Found against robust's hedge-loser change; fixed on main by hedge-probe, cfcf8c7, whose
// losers finish as probes: this test fails on 0e5204e and passes after.)
// REQUIRED: a mirror that never answered within its own headers timeout
// (upstream.headers_timeout_ms) is judged failed, and after
// health.failure_threshold such requests its circuit opens (it is skipped).
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(61);
const scene = useTwoMirrors(image);
const byTag = '/v2/src/ns/app/manifests/v1';
const ROUNDS = 6;
const HEADERS_TIMEOUT_MS = 150;

describe('a hung mirror behind hedging', () => {
  it('opens its circuit although every one of its attempts lost the hedge race', async () => {
    scene.m1.faults = { hang: true };
    const p = await scene.start({ hedge: { mode: 'fixed', delay_ms: 20 }, health: { failure_threshold: 2, cool_down_ms: 60_000 } }, { headers_timeout_ms: HEADERS_TIMEOUT_MS }, { never: true });
    for (let i = 0; i < ROUNDS; i++) {
      const res = await p.get(byTag);
      expect(res.status).toBe(200);
      // Past m1's own headers timeout, which undici checks on a coarse (about 1 s) timer: had its attempt
      // been left to run, it would have timed out by now.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    expect(p.proxy.pull.health.state(scene.m1.host)).toBe('open');
    // Once open, m1 is no longer asked at all.
    expect(scene.m1.count('/manifests/')).toBeLessThan(ROUNDS);
  });
});
