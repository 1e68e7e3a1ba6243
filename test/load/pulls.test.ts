// Many concurrent pulls across several images while mirror 1 is killed, then
// hung, then serves corrupt bytes; mirror 2 and the source stay healthy.
// Every body is hashed by the client. Asserted: no corrupt body accepted,
// every pull complete or cleanly failed, no file descriptor left, RSS within
// its bound. Reported: event-loop lag p99, RSS, outcomes.
// `concurrency` pulls run at once until `pulls` are done, so every phase of
// mirror 1 meets traffic. Short form by default (CI on 2 cores);
// MIRRORGATE_LOAD=long for 1,000 concurrent pulls with layers up to 64 MiB.
import { watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { switchProxy, type SwitchMode, type SwitchProxy } from '../fakes/switch-proxy.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { type LoadImage, type PullOutcome, fdTargets, loadImage, openFds, pull, pushLoadImage } from './support.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const LONG = process.env.MIRRORGATE_LOAD === 'long';
// Upstream deadlines: short enough that a hung mirror is left quickly, long enough for a healthy fake
// to answer. The fakes answer from this process's event loop, shared with the proxy and with a load
// client that hashes every byte it pulls: on 2 shared cores that loop lags for seconds (p99 0.8-2.6 s,
// max 1.5-4.9 s measured, at 100 pulls at once as at 1,000), so the former 2 s headers and body-idle
// timeouts, 1 s connect timeout and 1 s stall window judged healthy fakes dead: every endpoint
// "timed out" (504) or had its circuit opened by those timeouts (503). 211 of 3,000 pulls failed
// (1,000 at a time), 703 of 900 (300 at a time), 31 of 400 (the short form, 100 at a time, on a busy
// machine). Those were the proxy's deadlines firing on this test's own event-loop lag, not a fault
// of the proxy: these deadlines give each one room over that lag.
const UPSTREAM = { connect_timeout_ms: 5_000, headers_timeout_ms: 10_000, body_idle_timeout_ms: 10_000, min_bytes_per_s: 16 * KiB, stall_window_ms: 10_000, pull_deadline_ms: 300_000 };
const BASE = LONG
  ? { pulls: 3_000, concurrency: 1_000, layers: [[1 * KiB, 64 * KiB, 1 * MiB], [4 * MiB, 16 * MiB], [256 * KiB, 64 * MiB], [8 * KiB, 2 * MiB, 8 * MiB]], rssBoundMiB: 1_536 }
  : { pulls: 400, concurrency: 100, layers: [[1 * KiB, 64 * KiB], [256 * KiB, 1 * MiB], [8 * KiB, 4 * MiB]], rssBoundMiB: 768 };
// To reproduce faster: MIRRORGATE_LOAD_PULLS and MIRRORGATE_LOAD_CONCURRENCY override the form's counts.
const FORM = { ...BASE, pulls: Number(process.env.MIRRORGATE_LOAD_PULLS ?? BASE.pulls), concurrency: Number(process.env.MIRRORGATE_LOAD_CONCURRENCY ?? BASE.concurrency) };
// Mirror 1's life, by the share of pulls finished: healthy, killed, hung, corrupt.
const PHASES: readonly [number, SwitchMode | 'corrupt'][] = [
  [0.1, 'killed'],
  [0.25, 'hang'],
  [0.45, 'corrupt'],
];

let images: LoadImage[];
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let front: SwitchProxy;
let proxy: TestProxy;

beforeAll(() => {
  images = FORM.layers.map((sizes, i) => loadImage(`ns/img${i}`, 7 + i, sizes));
});

afterAll(async () => {
  await proxy?.close();
  await front?.stop();
  await Promise.all([m1, m2, source].map((r) => r?.stop()));
});

// Twice: streaming through (no blob cache), and through the disk blob cache (fills shared by
// concurrent pulls, files read as they grow, wrong copies replaced mid-fill). The cache is kept
// smaller than the images, so eviction churns and every phase of mirror 1 still meets traffic.
it.each([
  { cache: 'no blob cache', blobs: {} },
  { cache: 'the disk blob cache', blobs: { dir: 'disk' } },
])(`${FORM.pulls} pulls, ${FORM.concurrency} at a time, through $cache, survive a mirror that is killed, hung, then corrupt`, async ({ blobs }) => {
  // libuv keeps one inotify descriptor per event loop once anything has been watched (the
  // rule files are): open it before counting, so the count compares like with like.
  watch(tmpdir()).close();
  const fdsBefore = openFds();
  const targetsBefore = fdTargets();
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) for (const image of images) pushLoadImage(r, image);
  front = await switchProxy(m1.host);
  proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${front.host}/ns`, `${m2.host}/ns`], [`${front.host}/ns`, `${m2.host}/ns`], { insecure: [front.host] }),
    { aliases: { src: source.host }, ...UPSTREAM },
    // A short cool-down lets mirror 1 back in after each phase, so every fault meets traffic.
    {
      hedge: { mode: 'adaptive', delay_ms: 300 },
      health: { failure_threshold: 3, cool_down_ms: 300 },
      ...(blobs.dir ? { cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: join(tempDir('load-cache'), 'blobs'), max_bytes: 2 * MiB } } } : {}),
    },
  );
  const client = new Agent({ connections: 256 });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);

  // A phase ends once its share of pulls is done and its fault has met traffic, so every
  // fault is exercised however fast the machine is: mirror 1 refused a connection, held one.
  let seenLines = 0;
  let refusals = 0;
  const metTraffic: (() => boolean)[] = [
    () => true,
    () => {
      for (const line of proxy.logs.slice(seenLines)) refusals += ((line.attempts ?? []) as { endpoint: string; outcome: string }[]).filter((a) => a.endpoint.startsWith(front.host) && a.outcome === 'refused').length;
      seenLines = proxy.logs.length;
      return refusals > 0;
    },
    () => front.hung() > 0,
  ];
  let finished = 0;
  let phase = 0;
  let corruptFrom = Number.POSITIVE_INFINITY;
  const advance = async () => {
    finished++;
    while (phase < PHASES.length && finished >= (PHASES[phase] as [number, unknown])[0] * FORM.pulls && (metTraffic[phase] as () => boolean)()) {
      const [, mode] = PHASES[phase++] as [number, SwitchMode | 'corrupt'];
      if (mode === 'corrupt') {
        corruptFrom = m1.requests.length;
        // Wrong blob bytes of the right length; manifests stay right, so pulls keep their
        // affinity to mirror 1 and its blobs are asked for.
        for (const [digest, bytes] of m1.blobs) m1.blobs.set(digest, Buffer.from(bytes).fill(0x41, 0, Math.min(16, bytes.length)));
        await front.set('pass');
      } else await front.set(mode);
    }
  };
  const outcomes: PullOutcome[] = [];
  let started = 0;
  // A long run takes minutes: say how far it got, so a stall shows where it happened.
  const progress = setInterval(() => console.log(`load test progress: ${finished} of ${FORM.pulls} pulls done, ${outcomes.filter((o) => !o.ok).length} failed, mirror 1 phase ${phase}`), 30_000);
  const worker = async () => {
    for (let i = started++; i < FORM.pulls; i = started++) {
      outcomes.push(await pull(`${proxy.url}/v2/src`, images[i % images.length] as LoadImage, client, 3));
      await advance();
    }
  };
  await Promise.all(Array.from({ length: FORM.concurrency }, worker));
  // The last fault too must meet traffic: on a fast run mirror 1 can sit out the corrupt phase
  // behind its circuit (or, with the disk cache, behind cached blobs). Pull on, one at a time and
  // bounded, until it has served wrong bytes for a blob.
  const corruptGets = () => m1.requests.slice(corruptFrom).filter((r) => r.method === 'GET' && r.url.includes('/blobs/')).length;
  for (let extra = 0; extra < FORM.pulls && corruptGets() === 0; extra++) {
    outcomes.push(await pull(`${proxy.url}/v2/src`, images[extra % images.length] as LoadImage, client, 3));
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(sampler);
  clearInterval(progress);
  lag.disable();

  const ok = outcomes.filter((o) => o.ok).length;
  const outcomesOfMirror1 = new Map<string, number>();
  for (const line of proxy.logs) {
    for (const a of (line.attempts ?? []) as { endpoint: string; outcome: string }[]) {
      if (a.endpoint.startsWith(front.host)) outcomesOfMirror1.set(a.outcome, (outcomesOfMirror1.get(a.outcome) ?? 0) + 1);
    }
  }
  const failures = outcomes.filter((o) => !o.ok).map((o) => o.failure);
  // Why the proxy failed requests: its error answers by status and the outcomes of their attempts.
  const proxyErrors = new Map<string, number>();
  for (const line of proxy.logs) {
    if (line.msg !== 'request' || (line.code as number) < 500) continue;
    const kinds = [...new Set(((line.attempts ?? []) as { outcome: string }[]).map((a) => a.outcome))].sort().join('+');
    const why = `${line.code} ${(line.durationMs as number) >= UPSTREAM.pull_deadline_ms ? 'deadline ' : ''}${String(line.path).includes('/blobs/') ? 'blob' : 'manifest'} [${kinds}]`;
    proxyErrors.set(why, (proxyErrors.get(why) ?? 0) + 1);
  }
  // Broken responses (a 200 cut short): those whose fetch met mirror 1's wrong bytes, and the bound the
  // README states: at most one per endpoint serving wrong bytes for that digest (here mirror 1 alone),
  // the retry never served by it.
  const lines = new Map(proxy.logs.filter((l) => l.msg === 'request').map((l) => [l.reqId as string, l]));
  const metWrongCopy = (id: string) => ((lines.get(id)?.attempts ?? []) as { outcome: string }[]).some((a) => a.outcome === 'digest_mismatch');
  let broken = 0;
  // Every broken response by what its request's attempts met (outcomes in order), to account for each one.
  // Long form, no blob cache, two runs: 118 and 47 broken; all but the wrong copies (17 and 6, at most one
  // per blob and client) were cut by upstream.pull_deadline_ms (300 s here) while streaming: "deadline",
  // the last attempt's message GATEWAY_TIMEOUT (recorded with the outcome `refused`, health untouched).
  const brokenBy = new Map<string, number>();
  let wrongCopyBreaks = 0;
  let mostWrongCopyBreaksPerBlob = 0;
  let retriesServedByMirror1 = 0;
  for (const tries of outcomes.flatMap((o) => o.blobTries)) {
    let perBlob = 0;
    tries.forEach((t, i) => {
      if (!t.broken) return;
      broken++;
      const line = lines.get(t.id);
      const attempts = (line?.attempts ?? []) as { endpoint: string; outcome: string; message?: string }[];
      const endpointOf = (a: { endpoint: string }) => (a.endpoint.startsWith(front.host) ? 'm1' : a.endpoint.startsWith(m2.host) ? 'm2' : 'source');
      // The last attempt's message says what broke the body (its byte offset left out, so that causes group).
      const why = (attempts.at(-1)?.message ?? '').replace(/\d+/g, 'N').slice(0, 60);
      const late = (line?.durationMs as number) >= UPSTREAM.pull_deadline_ms ? ' deadline' : '';
      const met = line ? `${line.code}${late} ${attempts.map((a) => `${endpointOf(a)}:${a.outcome}`).join(',')} (${why})` : 'no log line';
      brokenBy.set(met, (brokenBy.get(met) ?? 0) + 1);
      if (!metWrongCopy(t.id)) return;
      wrongCopyBreaks++;
      perBlob++;
      const retry = tries[i + 1];
      if (retry && String(lines.get(retry.id)?.servedBy ?? '').startsWith(front.host)) retriesServedByMirror1++;
    });
    mostWrongCopyBreaksPerBlob = Math.max(mostWrongCopyBreaksPerBlob, perBlob);
  }
  const report = {
    form: LONG ? 'long' : 'short',
    pulls: outcomes.length,
    ok,
    failed: failures.length,
    failureKinds: [...new Set(failures)].slice(0, 5),
    proxyErrors: Object.fromEntries([...proxyErrors].sort((a, b) => b[1] - a[1]).slice(0, 10)),
    brokenResponses: broken,
    brokenBy: Object.fromEntries([...brokenBy].sort((a, b) => b[1] - a[1]).slice(0, 12)),
    wrongCopyBreaks,
    mostWrongCopyBreaksPerBlob,
    retriesServedByMirror1,
    corruptAccepted: outcomes.reduce((n, o) => n + o.corruptAccepted, 0),
    mirror1Outcomes: Object.fromEntries(outcomesOfMirror1),
    mirror1HungConnections: front.hung(),
    mirror1CorruptBlobs: corruptGets(),
    rssGrowthMiB: Math.round((rssPeak - rssBefore) / MiB),
    rssPeakMiB: Math.round(rssPeak / MiB),
    eventLoopLagP99Ms: Math.round(lag.percentile(99) / 1e6),
    eventLoopLagMaxMs: Math.round(lag.max / 1e6),
  };
  console.log(`load test: ${JSON.stringify(report)}`);

  // Every phase happened while pulls ran, and each fault met traffic: refused, held (then
  // timed out, or lost a hedge race), wrong bytes.
  expect(phase).toBe(PHASES.length);
  expect(outcomesOfMirror1.get('refused')).toBeGreaterThan(0);
  expect(front.hung()).toBeGreaterThan(0);
  expect(report.mirror1CorruptBlobs).toBeGreaterThan(0);
  expect(report.corruptAccepted).toBe(0);
  expect(outcomes.length).toBeGreaterThanOrEqual(FORM.pulls);
  // A wrong copy breaks a response at most once per endpoint serving wrong bytes (README), and the
  // retry is never served by that endpoint again.
  expect(mostWrongCopyBreaksPerBlob).toBeLessThanOrEqual(1);
  expect(retriesServedByMirror1).toBe(0);
  // Every failure is clean: an error status from the proxy or a body broken before its end, never
  // a "not found" for content that exists nor a wrong body (counted above).
  expect(failures.filter((f) => /status 4\d\d|digest/.test(f ?? ''))).toEqual([]);
  // mirror 2 and the source are healthy: with a runtime's retries, every pull of the short form
  // completes. The long form's fakes answer from an event loop that lags for seconds under its own
  // load (see UPSTREAM), so a pull may fail cleanly after its 3 tries met answers that came too
  // late; with UPSTREAM none did in 2 runs of 900 pulls at 300 at a time, and the bound allows 1%.
  expect(failures.length).toBeLessThanOrEqual(LONG ? Math.floor(outcomes.length / 100) : 0);
  expect(report.rssGrowthMiB).toBeLessThan(FORM.rssBoundMiB);

  await client.close();
  await proxy.close();
  await front.stop();
  await Promise.all([m1, m2, source].map((r) => r.stop()));
  // Sockets close asynchronously: wait (bounded) for the count to come back.
  for (let i = 0; i < 100 && openFds() > fdsBefore; i++) await new Promise((r) => setTimeout(r, 20));
  expect(fdTargets().filter((t) => !targetsBefore.includes(t))).toEqual([]);
  expect(openFds()).toBeLessThanOrEqual(fdsBefore);
}, LONG ? 1_800_000 : 600_000);
