// A long synchronous block of the event loop must not make a healthy stream
// look stalled. While the loop is blocked the upstream's bytes wait in the
// socket; when it turns again the timers run before the poll phase reads
// them, so a watchdog that judged its window at once saw a window without
// those bytes. The mirror streams from its own process (it keeps sending
// while this one is blocked); the block comes as the body starts, so the
// window it falls in has no byte yet. One block of 1 s against a 200 ms
// window: no stall, no failover.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { steadyContent, steadyProcess, type SteadyProcess } from '../fakes/steady-process.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const SIZE = 2 * 1024 * 1024;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const digest = sha(steadyContent(SIZE));
const path = `/v2/src/ns/app/blobs/${digest}`;
const BLOCK_MS = 1_000;

let steady: SteadyProcess | undefined;
let second: FakeRegistry | undefined;
let source: FakeRegistry | undefined;
let proxy: TestProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await Promise.all([steady?.stop(), second?.stop(), source?.stop()]);
});

/** Blocks this process (proxy, in-process fakes and client alike) synchronously, once. */
function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('stall judgement after an event-loop block', () => {
  it('a healthy stream across a 1 s block of the loop is not taken for a stall: served whole by its first mirror', async () => {
    // 16 KiB every 10 ms (~1.6 MB/s): eight times the 200 kB/s minimum (40 kB per 200 ms window).
    steady = await steadyProcess(SIZE, 16 * 1024, 10);
    [second, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
    const cache = { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: 0 } };
    const rules = mirrorRules(`${source.host}/ns`, [`${steady.host}/ns`, `${second.host}/ns`], [], { never: true });
    proxy = await startTestProxy(rules, { aliases: { src: source.host }, min_bytes_per_s: 200_000, stall_window_ms: 200, body_idle_timeout_ms: 60_000 }, { cache });
    const res = await request(`${proxy.url}${path}`);
    expect(res.statusCode).toBe(200);
    // The headers are here: the proxy now waits for the first body bytes, which the mirror sends 10 ms on.
    blockLoop(BLOCK_MS);
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(sha(body)).toBe(digest);
    expect(proxy.attemptsFor(path)[0]?.map((a) => a.outcome)).toEqual(['ok']);
    expect(second.requests.filter((r) => r.url.includes('/blobs/'))).toHaveLength(0);
  });
});
