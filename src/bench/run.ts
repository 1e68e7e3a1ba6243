// Runs every scenario's workloads against each strategy and the baselines,
// in one process and one run, so that ratios compare like with like.
import { request } from 'undici';
import { type LoadResult, percentile, runLoad } from './load.js';
import { type ProxyProcess, nginxAvailable, startMirrorgate, startNginx } from './processes.js';
import { sampleProcess, type ProcUsage } from './proc-stats.js';
import { seededBytes } from './random.js';
import type { BenchPlan, Scenario, Workload } from './scenarios.js';
import { type Scene, type Strategy, applyRefusals, sceneRules, startScene, strategySettings } from './scene.js';
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
}

export interface BenchResults {
  readonly startedAt: string;
  readonly plan: BenchPlan;
  readonly node: string;
  readonly runs: RunRecord[];
  readonly skipped: string[];
}

const MiB = 1024 * 1024;
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

/** The strategies each workload is measured with; direct and nginx are baselines. */
const STRATEGIES: Readonly<Record<Workload, readonly Strategy[]>> = {
  'manifests-cold': ['direct', 'naive', 'mirrorgate'],
  'manifests-cached': ['direct', 'mirrorgate-cached'],
  image: ['direct', 'naive', 'mirrorgate'],
  'large-blob': ['direct', 'nginx', 'mirrorgate'],
  'concurrent-blobs': ['direct', 'mirrorgate'],
};

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
  if (!nginxAvailable()) skipped.push('nginx baseline: nginx is not installed (apt-get install nginx-light)');
  for (const scenario of plan.scenarios) {
    const scene = await startScene(plan, scenario);
    try {
      for (const r of [scene.m1, scene.m2, scene.source]) load(r, content);
      await applyRefusals(scene, scenario);
      for (const workload of scenario.workloads) {
        for (const strategy of STRATEGIES[workload]) {
          if (strategy === 'nginx' && !nginxAvailable()) continue;
          const record = await measure(plan, scenario, scene, workload, strategy, content, cliPath);
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

/** Where a strategy sends requests: mirrorgate's path form, or the healthy upstream itself. */
function baseFor(strategy: Strategy, scene: Scene, scenario: Scenario, proxy?: ProxyProcess): string | undefined {
  if (proxy) return strategy === 'nginx' ? `${proxy.url}/v2/ns` : `${proxy.url}/v2/src/ns`;
  // The floor: straight to an upstream that holds the content and answers.
  const healthy = scenario.allMirrors ? (scenario.neverContactSource ? undefined : scene.source) : scene.m2;
  return healthy && `http://${healthy.host}/v2/ns`;
}

async function measure(plan: BenchPlan, scenario: Scenario, scene: Scene, workload: Workload, strategy: Strategy, content: Content, cliPath: string): Promise<RunRecord | undefined> {
  let proxy: ProxyProcess | undefined;
  if (strategy === 'nginx') proxy = await startNginx(scene.m2.host);
  else if (strategy !== 'direct') proxy = await startMirrorgate(cliPath, strategySettings(strategy, plan, scene), sceneRules(scene, scenario));
  try {
    const base = baseFor(strategy, scene, scenario, proxy);
    if (!base) return undefined;
    const work = workloadSteps(plan, scenario, workload, base, content);
    const warm = work.warmup > 0 ? await runLoad(work.warmup, work.concurrency, plan.maxSecondsPerRun, work.step) : undefined;
    await proxy?.takeAttempts(warm?.completed);
    const stop = proxy ? sampleProcess(proxy.pid) : undefined;
    const result = await runLoad(work.count, work.concurrency, plan.maxSecondsPerRun, work.step);
    const usage = stop?.();
    const attempts = await proxy?.takeAttempts(result.completed * work.requestsPerStep);
    return record(scenario.name, workload, strategy, result, usage, attempts && attempts.requests > 0 ? attempts.attempts / attempts.requests : strategy === 'direct' ? 1 : undefined);
  } finally {
    await proxy?.stop();
  }
}

function workloadSteps(plan: BenchPlan, scenario: Scenario, workload: Workload, base: string, content: Content) {
  const manifestRef = scenario.pullBy === 'digest' ? content.small.manifestDigest : 'v1';
  switch (workload) {
    case 'manifests-cold':
    case 'manifests-cached':
      return { warmup: plan.warmup, count: plan.requests, concurrency: plan.concurrency, requestsPerStep: 1, step: () => get(`${base}/app/manifests/${manifestRef}`, ACCEPT) };
    case 'image': // index, manifest, config, layers
      return { warmup: 2, count: plan.image.pulls, concurrency: plan.image.concurrency, requestsPerStep: 3 + plan.image.layers, step: () => pullImage(`${base}/img`) };
    case 'large-blob':
      return { warmup: 0, count: 2, concurrency: 1, requestsPerStep: 1, step: () => get(`${base}/app/blobs/${content.blob.digest}`) };
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
  };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

export function line(r: RunRecord): string {
  return `${r.scenario.padEnd(22)} ${r.workload.padEnd(17)} ${r.strategy.padEnd(18)} n=${String(r.completed).padEnd(4)} err=${String(r.errors).padEnd(3)} p50=${fmt(r.p50Ms, 2)}ms p99=${fmt(r.p99Ms, 2)}ms ${fmt(r.reqPerSec)} req/s ${fmt(r.mibPerSec)} MiB/s attempts=${fmt(r.attemptsPerRequest, 2)} cpu=${fmt(r.cpuPercent, 0)}% rss=${fmt(r.peakRssMiB, 0)}MiB`;
}
