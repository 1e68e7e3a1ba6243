// A pull whose overall deadline (upstream.pull_deadline_ms) cuts an upstream
// attempt, mid-body or before its headers: the attempt is recorded as what it
// is, `deadline` (the pull's time ran out), never `refused` (a connection
// refused or reset), in the log and the metrics; and the endpoint's health is
// not charged with it: a body that kept above upstream.min_bytes_per_s was
// not stalled, and the time may have gone to earlier endpoints or a slow
// client. A stalled endpoint is the stall rule's to judge.
import { randomBytes, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { afterEach, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { listenOnLoopback } from '../../src/bench/loopback.js';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { dripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { successOf } from '../helpers/status-card.js';

const CONTENT = randomBytes(4 * 1024 * 1024);
const DIGEST = `sha256:${createHash('sha256').update(CONTENT).digest('hex')}`;
const PATH = `/v2/src/ns/app/blobs/${DIGEST}`;

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

/** The proxy in front of `mirror` alone, with a 1 s pull deadline and a circuit that one endpoint failure opens. */
async function proxyFor(mirror: string): Promise<TestProxy> {
  const source: FakeRegistry = await fakeRegistry();
  stops.push(() => source.stop());
  const proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${mirror}/ns`], [], { never: true }),
    { aliases: { src: source.host }, pull_deadline_ms: 1_000, min_bytes_per_s: 1024, headers_timeout_ms: 30_000 },
    { health: { failure_threshold: 1 }, 'cache.blobs': { verify_before_serve_bytes: 65_536 } },
  );
  stops.push(() => proxy.close());
  return proxy;
}

/** Pulls PATH (its body may break), then reads the one request's attempts, the metrics and the mirror's health. */
async function pullPastDeadline(proxy: TestProxy, mirror: string) {
  const res = await request(`${proxy.url}${PATH}`);
  await res.body.arrayBuffer().catch(() => undefined);
  await vi.waitFor(() => expect(proxy.attemptsFor(PATH)).toHaveLength(1), { timeout: 5_000, interval: 20 });
  const metrics = await (await request(`${proxy.url}/metrics`)).body.text();
  const health = proxy.proxy.pull.health.snapshot().find((h) => h.endpoint === mirror);
  const page = await (await request(`${proxy.url}/status`)).body.text();
  return { attempts: proxy.attemptsFor(PATH)[0] ?? [], metrics, health, success: successOf(page, mirror) };
}

it('a body cut mid-stream by the pull deadline is a `deadline` attempt, not `refused`, and not held against the endpoint', async () => {
  // 4 KiB every 10 ms (~400 KB/s, well above min_bytes_per_s): the 4 MiB would take ~10 s, the deadline comes first.
  const mirror = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 10 });
  stops.push(mirror.stop);
  const { attempts, metrics, health, success } = await pullPastDeadline(await proxyFor(mirror.host), mirror.host);
  expect(attempts.map((a) => a.outcome)).toEqual(['ok', 'deadline']);
  expect(attempts[1]?.message).toMatch(/pull_deadline_ms after byte \d+/);
  expect(metrics).toMatch(/mirrorgate_upstream_attempts_total\{[^}]*outcome="deadline"[^}]*\} 1/);
  expect(metrics).not.toMatch(/outcome="refused"/);
  // One endpoint failure would have opened the circuit (failure_threshold 1).
  expect(health).toMatchObject({ state: 'closed', failures: 0 });
  // The status page agrees: the opening and the cut, neither a failure of the endpoint.
  expect(success).toEqual({ rate: '100%', tries: '2' });
});

it('an attempt still waiting for its headers at the deadline is recorded as `deadline`, and not held against the endpoint', async () => {
  const silent = await listenOnLoopback(createServer(() => undefined));
  stops.push(silent.stop);
  const proxy = await proxyFor(silent.host);
  const { attempts, metrics, health, success } = await pullPastDeadline(proxy, silent.host);
  expect(attempts.map((a) => a.outcome)).toEqual(['deadline']);
  expect(metrics).toMatch(/mirrorgate_upstream_attempts_total\{[^}]*outcome="deadline"[^}]*\} 1/);
  expect(health?.failures ?? 0).toBe(0);
  expect(health?.state ?? 'closed').toBe('closed');
  expect(success).toEqual({ rate: '100%', tries: '1' });
});
