// A pull whose overall deadline (upstream.pull_deadline_ms) cuts an upstream
// attempt is recorded as what happened, never `refused` (a connection refused
// or reset), in the log and the metrics; and the endpoint is charged only for
// time it took itself (upstream/failure.ts slowEndpoint):
// - a blob body cut mid-stream after that attempt alone spent at least half
//   the deadline waiting for its endpoint is a `timeout`, charged like a
//   stall: a mirror streaming steadily above upstream.min_bytes_per_s but too
//   slowly to ever finish a large layer was otherwise never judged, and took
//   every pull while a healthy next mirror was never tried (red team);
// - a cut after the time went to the client (a slow reader on a good mirror)
//   or to an earlier endpoint of the walk stays `deadline`, uncharged;
// - an attempt still waiting for its headers stays `deadline`, uncharged:
//   upstream.headers_timeout_ms judges that wait.
// The blob cache is off (each pull streams) and verify_before_serve_bytes is
// 64 KiB, so a 4 MiB blob streams to its client with only its last chunk held.
import { randomBytes, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { listenOnLoopback } from '../../src/bench/loopback.js';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { dripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { successOf } from '../helpers/status-card.js';

const CONTENT = randomBytes(4 * 1024 * 1024);
const PATH = pathOf(CONTENT);
const DEADLINE_MS = 1_000;

function pathOf(content: Buffer): string {
  return `/v2/src/ns/app/blobs/sha256:${createHash('sha256').update(content).digest('hex')}`;
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

/** The proxy in front of `mirrors` in order, a 1 s pull deadline, a circuit that one endpoint failure opens, no blob cache. */
async function proxyFor(mirrors: string[], upstream: Record<string, unknown> = {}, hedge: Record<string, unknown> = {}): Promise<{ proxy: TestProxy; source: FakeRegistry }> {
  const source: FakeRegistry = await fakeRegistry();
  stops.push(() => source.stop());
  const proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, mirrors.map((m) => `${m}/ns`), [], { never: true }),
    { aliases: { src: source.host }, pull_deadline_ms: DEADLINE_MS, min_bytes_per_s: 1024, headers_timeout_ms: 30_000, ...upstream },
    {
      health: { failure_threshold: 1 },
      hedge,
      server: { listen: ['127.0.0.1:0'], send_timeout_ms: 60_000 },
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: 65_536 } },
    },
  );
  stops.push(() => proxy.close());
  return { proxy, source };
}

/** The one pull of `path`'s attempts (once logged), the metrics and `endpoint`'s health and status card. */
async function outcomeOf(proxy: TestProxy, endpoint: string, path = PATH) {
  await vi.waitFor(() => expect(proxy.attemptsFor(path)).toHaveLength(1), { timeout: 5_000, interval: 20 });
  const metrics = await (await request(`${proxy.url}/metrics`)).body.text();
  const health = proxy.proxy.pull.health.snapshot().find((h) => h.endpoint === endpoint);
  const page = await (await request(`${proxy.url}/status`)).body.text();
  return { attempts: proxy.attemptsFor(path)[0] ?? [], metrics, health, success: successOf(page, endpoint) };
}

/** Pulls `path` through, reading as fast as it comes: 'whole' or what came instead. */
async function pull(proxy: TestProxy, path = PATH, content = CONTENT): Promise<string> {
  const res = await request(`${proxy.url}${path}`);
  const body = await res.body.arrayBuffer().then((b) => Buffer.from(b), () => undefined);
  return res.statusCode === 200 && body?.equals(content) ? 'whole' : `${res.statusCode} ${body === undefined ? 'cut' : body.length}`;
}

describe('an endpoint that took the deadline itself is charged', () => {
  it('a steady mirror too slow to finish within the deadline: its cut is a `timeout` against it, not `deadline`', async () => {
    // 4 KiB every 10 ms (~400 KB/s, far above min_bytes_per_s): the 4 MiB would take ~10 s.
    const mirror = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 10 });
    stops.push(mirror.stop);
    const { proxy } = await proxyFor([mirror.host]);
    expect(await pull(proxy)).not.toBe('whole');
    const { attempts, metrics, health, success } = await outcomeOf(proxy, mirror.host);
    expect(attempts.map((a) => a.outcome)).toEqual(['ok', 'timeout']);
    expect(attempts[1]?.message).toMatch(/too slow: upstream\.pull_deadline_ms \(1000 ms\) cut the body after this endpoint alone had taken \d+ ms of it after byte \d+/);
    expect(metrics).toMatch(/mirrorgate_upstream_attempts_total\{[^}]*outcome="timeout"[^}]*\} 1/);
    expect(metrics).not.toMatch(/outcome="(refused|deadline)"/);
    // failure_threshold 1: the one charged failure opened the circuit.
    expect(health).toMatchObject({ state: 'open', failures: 1 });
    expect(success).toEqual({ rate: '50%', tries: '2' });
  });

  it('the same for a Range request for part of the blob (store/ranged.ts): the too-slow mirror is charged', async () => {
    const mirror = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 10 });
    stops.push(mirror.stop);
    const { proxy } = await proxyFor([mirror.host]);
    const res = await request(`${proxy.url}${PATH}`, { headers: { range: 'bytes=1-4000000' } });
    await res.body.arrayBuffer().catch(() => undefined);
    expect(res.statusCode).toBe(206);
    await vi.waitFor(() => expect(proxy.attemptsFor(PATH)).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(proxy.proxy.pull.health.snapshot().find((h) => h.endpoint === mirror.host)).toMatchObject({ state: 'open', failures: 1 });
  });

  it('once its circuit is open the next pull goes to the healthy second mirror, whole', async () => {
    // 4 KiB every 50 ms (~80 KB/s): 4 MiB would take ~50 s.
    const slow = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 50 });
    const good = await fakeRegistry();
    good.putBlob(CONTENT);
    stops.push(slow.stop, () => good.stop());
    const { proxy } = await proxyFor([slow.host, good.host]);
    // Bounded: three pulls, each ended by the deadline at the latest.
    const outcomes: string[] = [];
    for (let i = 0; i < 3 && outcomes.at(-1) !== 'whole'; i++) outcomes.push(await pull(proxy));
    expect(outcomes[0]).not.toBe('whole');
    expect(outcomes.slice(1)).toEqual(['whole']);
    expect(slow.requests()).toBe(1);
    expect(good.count('/blobs/')).toBe(1);
  });
});

describe('a deadline others used up is not charged', () => {
  it('a slow client on a good mirror: the cut stays `deadline`, and the mirror keeps a closed circuit', async () => {
    // Larger than what the loopback socket buffers and the proxy's queues hold, so the cut comes mid-body.
    const big = randomBytes(48 * 1024 * 1024);
    const good = await fakeRegistry();
    good.putBlob(big);
    stops.push(() => good.stop());
    const { proxy } = await proxyFor([good.host]);
    const path = pathOf(big);
    const { hostname, port } = new URL(proxy.url);
    // A client that reads one chunk (64 KiB at most) every 20 ms: the proxy mostly waits on it, not on the mirror.
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
    socket.on('data', () => {
      socket.pause();
      setTimeout(() => socket.resume(), 20);
    });
    socket.on('error', () => undefined);
    stops.push(async () => void socket.destroy());
    const { attempts, health } = await outcomeOf(proxy, good.host, path);
    expect(attempts.map((a) => a.outcome)).toEqual(['ok', 'deadline']);
    expect(attempts[1]?.message).toMatch(/pull_deadline_ms after byte \d+/);
    expect(health).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('an earlier endpoint took most of the deadline: the last one, cut mid-body, stays `deadline` and uncharged', async () => {
    // The first mirror answers 503 after 600 ms (charged to it); the drip gets what is left of the deadline (< 400 ms).
    const late = await listenOnLoopback(createServer((_req, res) => void setTimeout(() => res.writeHead(503).end(), 600)));
    const mirror = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 10 });
    stops.push(late.stop, mirror.stop);
    const { proxy } = await proxyFor([late.host, mirror.host]);
    expect(await pull(proxy)).not.toBe('whole');
    const { attempts, health } = await outcomeOf(proxy, mirror.host);
    expect(attempts.map((a) => [a.endpoint.split('/', 1)[0], a.outcome])).toEqual([[late.host, 'status_5xx'], [mirror.host, 'ok'], [mirror.host, 'deadline']]);
    expect(health).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('an attempt still waiting for its headers at the deadline is recorded as `deadline`, and not held against the endpoint', async () => {
    const silent = await listenOnLoopback(createServer(() => undefined));
    stops.push(silent.stop);
    const { proxy } = await proxyFor([silent.host]);
    await pull(proxy);
    const { attempts, metrics, health, success } = await outcomeOf(proxy, silent.host);
    expect(attempts.map((a) => a.outcome)).toEqual(['deadline']);
    expect(metrics).toMatch(/mirrorgate_upstream_attempts_total\{[^}]*outcome="deadline"[^}]*\} 1/);
    expect(metrics).not.toMatch(/outcome="refused"/);
    expect(health?.failures ?? 0).toBe(0);
    expect(health?.state ?? 'closed').toBe('closed');
    expect(success).toEqual({ rate: '100%', tries: '1' });
  });

  it('hedged attempts all waiting at the deadline are each recorded as `deadline`, none held against its endpoint', async () => {
    const silent = await Promise.all([0, 1].map(() => listenOnLoopback(createServer(() => undefined))));
    for (const s of silent) stops.push(s.stop);
    const { proxy } = await proxyFor(silent.map((s) => s.host), {}, { mode: 'fixed', delay_ms: 100 });
    const path = `/v2/src/ns/app/manifests/sha256:${'0'.repeat(64)}`;
    expect((await request(`${proxy.url}${path}`, { method: 'HEAD' })).statusCode).toBe(504);
    const { attempts, metrics } = await outcomeOf(proxy, silent[1]?.host as string, path);
    expect(attempts.map((a) => [a.endpoint.split('/', 1)[0], a.outcome, a.hedged ?? false]).sort()).toEqual([[silent[0]?.host, 'deadline', false], [silent[1]?.host, 'deadline', true]].sort());
    expect(metrics).toMatch(/mirrorgate_upstream_attempts_total\{[^}]*outcome="deadline"[^}]*\} 1\n[^]*outcome="deadline"/);
    for (const s of silent) expect(proxy.proxy.pull.health.snapshot().find((h) => h.endpoint === s.host)?.failures ?? 0).toBe(0);
    // The plan leaves the source out (never contact it), but the deadline, not that, ended the pull.
    expect(proxy.logs.find((l) => l.msg === 'request' && l.path === path)).not.toHaveProperty('denial');
    expect(metrics).not.toMatch(/mirrorgate_denials_total\{/);
  });
});
