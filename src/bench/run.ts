// Runs every scenario's workloads against each strategy and the baselines,
// in one process and one run, so that ratios compare like with like.
import { request } from 'undici';
import { runWrk } from './baselines.js';
import { baseFor, startContestant, unavailable } from './contestants.js';
import { type LoadResult, percentile, runLoad } from './load.js';
import type { ProxyProcess } from './processes.js';
import { sampleProcess, untilIdle, type ProcUsage } from './proc-stats.js';
import { seededBytes } from './random.js';
import type { BenchPlan, Scenario, Workload } from './scenarios.js';
import { type Scene, type Strategy, WARM, applyRefusals, startScene } from './scene.js';
import { makeImage, pushImage, type TestImage } from './test-image.js';
import { createHash } from 'node:crypto';

export interface RunRecord {
  readonly scenario: string;
  readonly workload: Workload;
  readonly strategy: Strategy;
  readonly completed: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly reqPerSec: number;
  readonly mibPerSec: number;
  readonly attemptsPerRequest?: number;
  readonly cpuSeconds?: number;
  readonly cpuPercent?: number;
  readonly peakRssMiB?: number;
  /** Proxy CPU seconds per GiB of body sent (blob workloads). */
  readonly cpuSecondsPerGiB?: number;
  /** Proxy CPU microseconds per request (manifest-cpu). */
  readonly cpuMicrosPerRequest?: number;
  /** Blob GETs that reached the upstream registries during the run. */
  readonly upstreamFetches?: number;
}

const MiB = 1024 * 1024;

export interface BenchResults {
  readonly startedAt: string;
  readonly plan: BenchPlan;
  readonly node: string;
  readonly runs: RunRecord[];
  readonly skipped: string[];
}

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

/** The strategies each workload is measured with; direct and nginx are baselines. */
const STRATEGIES: Readonly<Record<Workload, readonly Strategy[]>> = {
  'manifests-cold': ['direct', 'naive', 'mirrorgate'],
  'manifests-cached': ['direct', 'mirrorgate-cached'],
  'manifest-cpu': ['mirrorgate-cached'],
  image: ['direct', 'naive', 'mirrorgate'],
  'large-blob': ['direct', 'nginx', 'nginx-cache-warm', 'registry-proxy', 'registry-proxy-warm', 'mirrorgate', 'mirrorgate-disk', 'mirrorgate-warm'],
  'concurrent-blobs': ['nginx', 'registry-proxy', 'mirrorgate', 'mirrorgate-disk'],
};
const GiB = 1024 * MiB;

interface Content {
  readonly small: TestImage;
  readonly image: TestImage;
  readonly blob: { digest: string; content: Buffer };
  readonly concurrentBlob: { digest: string; content: Buffer };
}

export async function runBench(plan: BenchPlan, cliPath: string, log: (line: string) => void): Promise<BenchResults> {
  const content = makeContent(plan);
  const runs: RunRecord[] = [];
  const skipped: string[] = [];
  for (const scenario of plan.scenarios) {
    const scene = await startScene(plan, scenario);
    try {
      for (const r of [scene.m1, scene.m2, scene.source]) load(r, content);
      await applyRefusals(scene, scenario);
      for (const workload of scenario.workloads) {
        const strategies = STRATEGIES[workload].filter((strategy) => {
          const why = unavailable(strategy, workload === 'manifest-cpu');
          if (why) skipped.push(`${scenario.name}/${workload}/${strategy}: ${why}`);
          return why === undefined;
        });
        const records = workload === 'large-blob' ? await blobRounds(plan, scenario, scene, strategies, content, cliPath) : await each(strategies, (s) => measure(plan, scenario, scene, workload, s, content, cliPath));
        for (const [strategy, record] of records) {
          if (record) {
            runs.push(record);
            log(line(record));
          } else skipped.push(`${scenario.name}/${workload}/${strategy}: no healthy upstream to measure directly`);
        }
      }
    } finally {
      await scene.stop();
    }
  }
  return { startedAt: new Date().toISOString(), plan, node: process.version, runs, skipped };
}

function makeContent(plan: BenchPlan): Content {
  const blob = (mib: number, seed: number) => {
    const bytes = seededBytes(Math.round(mib * MiB), seed);
    return { content: bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  };
  const needs = (w: Workload) => plan.scenarios.some((s) => s.workloads.includes(w));
  return {
    small: makeImage(plan.seed, [512]),
    image: makeImage(plan.seed + 1, Array.from({ length: plan.image.layers }, () => Math.round(plan.image.layerMiB * MiB))),
    blob: needs('large-blob') ? blob(plan.largeBlobMiB, plan.seed + 2) : { content: Buffer.alloc(0), digest: '' },
    concurrentBlob: needs('concurrent-blobs') ? blob(plan.concurrentBlobs.mib, plan.seed + 3) : { content: Buffer.alloc(0), digest: '' },
  };
}

/** Every registry of the scene holds everything; faults decide who can serve it. */
function load(registry: Scene['m1'], content: Content): void {
  pushImage(registry, 'ns/app', content.small, 'v1');
  pushImage(registry, 'ns/img', content.image);
  // The realistic image is multi-platform: its tag names an index of one linux/amd64 manifest.
  registry.putManifest('ns/img', indexFor(content.image), OCI_INDEX, 'v1');
  for (const b of [content.blob, content.concurrentBlob]) if (b.digest) registry.blobs.set(b.digest, b.content);
}

async function each<T>(strategies: readonly Strategy[], run: (s: Strategy) => Promise<T>): Promise<[Strategy, T][]> {
  const out: [Strategy, T][] = [];
  for (const s of strategies) out.push([s, await run(s)]);
  return out;
}

/** Blob GETs the scene's registries have answered so far. */
const fetches = (scene: Scene, digest: string) => [scene.m1, scene.m2, scene.source].reduce((n, r) => n + r.count(`/blobs/${digest}`, 'GET'), 0);

async function measure(plan: BenchPlan, scenario: Scenario, scene: Scene, workload: Workload, strategy: Strategy, content: Content, cliPath: string): Promise<RunRecord | undefined> {
  const proxy = await startContestant(strategy, plan, scene, scenario, cliPath);
  try {
    const base = baseFor(strategy, scene, scenario, proxy);
    if (!base) return undefined;
    if (workload === 'manifest-cpu') return await manifestCpu(plan, scenario.name, strategy, base, proxy as ProxyProcess);
    const work = workloadSteps(plan, scenario, workload, base, content);
    const warm = work.warmup > 0 ? await runLoad(work.warmup, work.concurrency, plan.maxSecondsPerRun, work.step) : undefined;
    await proxy?.takeAttempts(warm?.completed);
    const fetchedBefore = fetches(scene, content.concurrentBlob.digest);
    const stop = proxy ? sampleProcess(proxy.pid) : undefined;
    const result = await runLoad(work.count, work.concurrency, plan.maxSecondsPerRun, work.step);
    const usage = stop?.();
    const attempts = await proxy?.takeAttempts(result.completed * work.requestsPerStep);
    const extra = workload === 'concurrent-blobs' ? { upstreamFetches: fetches(scene, content.concurrentBlob.digest) - fetchedBefore } : {};
    return { ...record(scenario.name, workload, strategy, result, usage, attempts && attempts.requests > 0 ? attempts.attempts / attempts.requests : strategy === 'direct' ? 1 : undefined), ...extra };
  } finally {
    await proxy?.stop();
  }
}

/** Proxy CPU per cached manifest request, under wrk (a C client, so the load generator costs the proxy nothing). */
async function manifestCpu(plan: BenchPlan, scenario: string, strategy: Strategy, base: string, proxy: ProxyProcess): Promise<RunRecord> {
  const url = `${base}/app/manifests/v1`;
  for (let i = 0; i < 20; i++) await get(url, ACCEPT);
  const stop = sampleProcess(proxy.pid);
  const r = await runWrk(url, plan.wrk.connections, plan.wrk.seconds, { accept: ACCEPT });
  const usage = stop();
  const result: LoadResult = { latenciesMs: [], errors: r.errors, bytes: 0, seconds: r.seconds, completed: r.requests };
  return { ...record(scenario, 'manifest-cpu', strategy, result, usage, undefined), cpuMicrosPerRequest: (usage.cpuSeconds * 1e6) / Math.max(1, r.requests) };
}

/**
 * The large blob, in rounds that alternate the contestants (so drift hits all
 * alike). Each round starts each contestant afresh, so every pull through a
 * proxy that keeps blobs is cold, except the warm baselines, which are primed
 * with one fetch first and measured once idle again.
 */
async function blobRounds(plan: BenchPlan, scenario: Scenario, scene: Scene, strategies: readonly Strategy[], content: Content, cliPath: string): Promise<[Strategy, RunRecord | undefined][]> {
  const results = new Map<Strategy, { runs: LoadResult[]; usage: ProcUsage[] }>(strategies.map((s) => [s, { runs: [], usage: [] }]));
  for (let round = 0; round < Math.max(1, plan.largeBlobRounds); round++) {
    for (const strategy of strategies) {
      const proxy = await startContestant(strategy, plan, scene, scenario, cliPath);
      try {
        const base = baseFor(strategy, scene, scenario, proxy);
        if (!base) continue;
        const { step } = workloadSteps(plan, scenario, 'large-blob', base, content);
        if (WARM.has(strategy)) {
          await runLoad(1, 1, plan.maxSecondsPerRun * 4, step);
          // Warm means from the cache: the priming fetch's own tail (mirrorgate's fsync and rename of the
          // blob, docker-registry's store) is left out of the measured pull.
          if (proxy) await untilIdle(proxy.pid);
        }
        const stop = proxy ? sampleProcess(proxy.pid) : undefined;
        const run = await runLoad(1, 1, plan.maxSecondsPerRun * 4, step);
        const usage = stop?.();
        results.get(strategy)?.runs.push(run);
        if (usage) results.get(strategy)?.usage.push(usage);
      } finally {
        await proxy?.stop();
      }
    }
  }
  return strategies.map((strategy) => {
    const { runs: rs, usage } = results.get(strategy) as { runs: LoadResult[]; usage: ProcUsage[] };
    if (rs.length === 0) return [strategy, undefined];
    const merged: LoadResult = { latenciesMs: rs.flatMap((r) => r.latenciesMs), errors: rs.reduce((n, r) => n + r.errors, 0), bytes: rs.reduce((n, r) => n + r.bytes, 0), seconds: rs.reduce((n, r) => n + r.seconds, 0), completed: rs.reduce((n, r) => n + r.completed, 0) };
    const total = usage.length ? { cpuSeconds: usage.reduce((n, u) => n + u.cpuSeconds, 0), peakRssMiB: Math.max(...usage.map((u) => u.peakRssMiB)) } : undefined;
    return [strategy, record(scenario.name, 'large-blob', strategy, merged, total, undefined)];
  });
}

function workloadSteps(plan: BenchPlan, scenario: Scenario, workload: Workload, base: string, content: Content) {
  const manifestRef = scenario.pullBy === 'digest' ? content.small.manifestDigest : 'v1';
  switch (workload) {
    case 'manifests-cold':
    case 'manifests-cached':
    case 'manifest-cpu':
      return { warmup: plan.warmup, count: plan.requests, concurrency: plan.concurrency, requestsPerStep: 1, step: () => get(`${base}/app/manifests/${manifestRef}`, ACCEPT) };
    case 'image': // index, manifest, config, layers
      return { warmup: 2, count: plan.image.pulls, concurrency: plan.image.concurrency, requestsPerStep: 3 + plan.image.layers, step: () => pullImage(`${base}/img`) };
    case 'large-blob': // one pull per contestant and round (blobRounds)
      return { warmup: 0, count: 1, concurrency: 1, requestsPerStep: 1, step: () => get(`${base}/app/blobs/${content.blob.digest}`) };
    case 'concurrent-blobs':
      return { warmup: 0, count: plan.concurrentBlobs.count, concurrency: plan.concurrentBlobs.count, requestsPerStep: 1, step: () => get(`${base}/app/blobs/${content.concurrentBlob.digest}`) };
  }
}

/** GET that streams the body and counts it, never buffering a blob. */
async function get(url: string, accept?: string): Promise<{ ok: boolean; bytes: number; body?: Buffer }> {
  const res = await request(url, accept ? { headers: { accept } } : {});
  let bytes = 0;
  const small: Buffer[] = [];
  for await (const chunk of res.body) {
    bytes += chunk.length;
    if (accept) small.push(chunk as Buffer);
  }
  return { ok: res.statusCode === 200, bytes, ...(accept ? { body: Buffer.concat(small) } : {}) };
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

function indexFor(image: TestImage): Buffer {
  const manifests = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }];
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}

/** A pull as a runtime does it: the index by tag, the platform's manifest by digest, then config and layers in parallel. */
async function pullImage(base: string): Promise<{ ok: boolean; bytes: number }> {
  const index = await get(`${base}/manifests/v1`, ACCEPT);
  if (!index.ok || !index.body) return { ok: false, bytes: index.bytes };
  const child = (JSON.parse(index.body.toString()) as { manifests: { digest: string }[] }).manifests[0]?.digest;
  const manifest = await get(`${base}/manifests/${child}`, ACCEPT);
  if (!manifest.ok || !manifest.body) return { ok: false, bytes: index.bytes + manifest.bytes };
  const doc = JSON.parse(manifest.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const parts = await Promise.all([doc.config, ...doc.layers].map((d) => get(`${base}/blobs/${d.digest}`)));
  return { ok: parts.every((p) => p.ok), bytes: index.bytes + manifest.bytes + parts.reduce((n, p) => n + p.bytes, 0) };
}

function record(scenario: string, workload: Workload, strategy: Strategy, r: LoadResult, usage: ProcUsage | undefined, attemptsPerRequest: number | undefined): RunRecord {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return {
    scenario,
    workload,
    strategy,
    completed: r.completed,
    errors: r.errors,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    reqPerSec: r.completed / r.seconds,
    mibPerSec: r.bytes / MiB / r.seconds,
    ...(attemptsPerRequest !== undefined ? { attemptsPerRequest } : {}),
    ...(usage ? { cpuSeconds: usage.cpuSeconds, cpuPercent: (100 * usage.cpuSeconds) / r.seconds, peakRssMiB: usage.peakRssMiB } : {}),
    ...(usage && r.bytes > 0 ? { cpuSecondsPerGiB: usage.cpuSeconds / (r.bytes / GiB) } : {}),
  };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

function line(r: RunRecord): string {
  return `${r.scenario.padEnd(22)} ${r.workload.padEnd(17)} ${r.strategy.padEnd(18)} n=${String(r.completed).padEnd(4)} err=${String(r.errors).padEnd(3)} p50=${fmt(r.p50Ms, 2)}ms p99=${fmt(r.p99Ms, 2)}ms ${fmt(r.reqPerSec)} req/s ${fmt(r.mibPerSec)} MiB/s attempts=${fmt(r.attemptsPerRequest, 2)} cpu=${fmt(r.cpuPercent, 0)}% rss=${fmt(r.peakRssMiB, 0)}MiB${r.cpuSecondsPerGiB !== undefined ? ` cpu-s/GiB=${fmt(r.cpuSecondsPerGiB, 2)}` : ''}${r.cpuMicrosPerRequest !== undefined ? ` cpu-us/req=${fmt(r.cpuMicrosPerRequest, 1)}` : ''}${r.upstreamFetches !== undefined ? ` upstream-fetches=${r.upstreamFetches}` : ''}`;
}
