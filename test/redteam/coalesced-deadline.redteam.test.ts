// Red team (data path, deadlines): "every request ends by upstream.pull_deadline_ms:
// 504". Identical manifest requests share one upstream fetch (store/single-flight.ts),
// and that fetch is aborted only when EVERY waiter has gone; a waiter whose own
// deadline passed only leaves the count and keeps awaiting the shared promise.
// So while a fresh identical request joins before the last one's deadline, the
// first request is never answered: an attacker holding a slow mirror (here one
// that never answers headers, within upstream.headers_timeout_ms) or just a
// steady trickle of identical pulls keeps every earlier pull hanging past its
// deadline. REQUIRED: the first request gets its 504 while later ones still wait.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const DEADLINE_MS = 1_000;
/** Followers join every STEP_MS: each before the previous one's deadline. */
const STEP_MS = 400;
const FOLLOWERS = 10;
let source: FakeRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', makeImage(71), 'v1');
  source.faults = { hang: true };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, headers_timeout_ms: 60_000, pull_deadline_ms: DEADLINE_MS });
});
afterAll(async () => {
  await proxy?.close();
  await source?.stop();
});

const pull = () => request(`${proxy.url}/v2/src/ns/app/manifests/v1`).then(async (r) => (await r.body.dump(), r.statusCode), () => 0);

it('a coalesced manifest request is answered 504 at its own deadline, whoever else still waits', async () => {
  let firstAnsweredAfter: number | undefined;
  const first = pull().then((status) => {
    firstAnsweredAfter = launched;
    return status;
  });
  await vi.waitFor(() => expect(source.count('/manifests/v1')).toBe(1), { timeout: 5_000, interval: 10 });
  let launched = 0;
  const followers: Promise<number>[] = [];
  for (let i = 0; i < FOLLOWERS; i++) {
    await new Promise((r) => setTimeout(r, STEP_MS));
    followers.push(pull());
    launched++;
  }
  const status = await first;
  // The deadline is 2.5 steps: the first answer must come long before the last follower joined.
  expect(firstAnsweredAfter).toBeLessThan(FOLLOWERS / 2);
  expect(status).toBe(504);
  await Promise.all(followers);
});

it('a lone manifest request past its deadline is answered 504 GATEWAY_TIMEOUT, not 500 internal error', async () => {
  // With coalescing on (the default) the fetch runs under the flight's own controller, aborted without
  // the deadline's reason: the request's OciError GATEWAY_TIMEOUT is lost and the client gets UNKNOWN 500.
  const before = proxy.logs.length;
  expect(await pull()).toBe(504);
  expect(proxy.logs.slice(before).filter((l) => l.msg === 'request failed')).toEqual([]);
});
