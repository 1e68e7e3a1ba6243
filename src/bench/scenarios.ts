// The benchmark's scenario file (TOML): what to run, how much, and which
// faults the simulated mirrors inject. Every bad key is reported.
import { parse } from 'smol-toml';
import type { Faults } from './simulated-registry.js';

const WORKLOADS = ['manifests-cold', 'manifests-cached', 'manifest-cpu', 'image', 'large-blob', 'concurrent-blobs'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Faults of the first mirror; `refuse` stops it (connection refused). */
  readonly firstMirror: Faults & { refuse?: boolean };
  /** Faults of every mirror, for the all-down scenarios. */
  readonly allMirrors?: Faults & { refuse?: boolean };
  readonly neverContactSource: boolean;
  /** Only ImageDigestMirrorSet rules: tag pulls cannot use the mirrors. */
  readonly digestOnlyMirrors: boolean;
  /** Manifest requests by tag (the default) or by digest. */
  readonly pullBy: 'tag' | 'digest';
  readonly workloads: readonly Workload[];
}

export interface BenchPlan {
  readonly seed: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly maxSecondsPerRun: number;
  readonly headersTimeoutMs: number;
  readonly hedgeDelayMs: number;
  readonly image: { readonly layers: number; readonly layerMiB: number; readonly pulls: number; readonly concurrency: number };
  readonly largeBlobMiB: number;
  /** Rounds of the large-blob workload; each round runs every contestant once, alternating. */
  readonly largeBlobRounds: number;
  /** The cached-manifest CPU run: wrk with this many connections for this long. */
  readonly wrk: { readonly connections: number; readonly seconds: number };
  readonly concurrentBlobs: { readonly count: number; readonly mib: number };
  readonly scenarios: readonly Scenario[];
}

export class InvalidBenchFileError extends Error {
  override readonly name = 'InvalidBenchFileError';
}

const FAULT_KEYS: Readonly<Record<string, keyof (Faults & { refuse?: boolean })>> = {
  refuse: 'refuse',
  hang: 'hang',
  delay_ms: 'delayMs',
  status: 'status',
  retry_after: 'retryAfter',
  corrupt: 'corrupt',
  flaky_percent: 'flakyPercent',
};

type Table = Record<string, unknown>;

export function parseBenchFile(text: string, file: string): BenchPlan {
  const problems: string[] = [];
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    throw new InvalidBenchFileError(`${file}: invalid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  const num = (t: Table, key: string, at: string, fallback: number): number => {
    const v = t[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${at}${key}: expected a number >= 0, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const image = (doc.image ?? {}) as Table;
  const blobs = (doc.concurrent_blobs ?? {}) as Table;
  const plan = {
    seed: num(doc, 'seed', '', 42),
    requests: num(doc, 'requests', '', 400),
    concurrency: num(doc, 'concurrency', '', 8),
    warmup: num(doc, 'warmup', '', 20),
    maxSecondsPerRun: num(doc, 'max_seconds_per_run', '', 30),
    headersTimeoutMs: num(doc, 'headers_timeout_ms', '', 2000),
    hedgeDelayMs: num(doc, 'hedge_delay_ms', '', 200),
    image: { layers: num(image, 'layers', 'image.', 4), layerMiB: num(image, 'layer_mib', 'image.', 4), pulls: num(image, 'pulls', 'image.', 32), concurrency: num(image, 'concurrency', 'image.', 8) },
    largeBlobMiB: num(doc, 'large_blob_mib', '', 1024),
    largeBlobRounds: num(doc, 'large_blob_rounds', '', 3),
    wrk: { connections: num((doc.wrk ?? {}) as Table, 'connections', 'wrk.', 32), seconds: num((doc.wrk ?? {}) as Table, 'seconds', 'wrk.', 5) },
    concurrentBlobs: { count: num(blobs, 'count', 'concurrent_blobs.', 64), mib: num(blobs, 'mib', 'concurrent_blobs.', 32) },
    scenarios: (Array.isArray(doc.scenario) ? (doc.scenario as Table[]) : []).map((s, i) => scenario(s, `scenario[${i}].`, problems)),
  };
  if (plan.scenarios.length === 0) problems.push('scenario: at least one [[scenario]] is needed');
  if (problems.length > 0) throw new InvalidBenchFileError(`${file}:\n  ${problems.join('\n  ')}`);
  return plan;
}

function scenario(t: Table, at: string, problems: string[]): Scenario {
  const faults = (key: string) => {
    const raw = (t[key] ?? {}) as Table;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      const field = FAULT_KEYS[k];
      if (!field) problems.push(`${at}${key}.${k}: unknown fault (known: ${Object.keys(FAULT_KEYS).join(', ')})`);
      else out[field] = v;
    }
    return out as Faults & { refuse?: boolean };
  };
  const workloads = (t.workloads ?? ['manifests-cold']) as string[];
  for (const w of workloads) if (!(WORKLOADS as readonly string[]).includes(w)) problems.push(`${at}workloads: unknown workload ${JSON.stringify(w)} (known: ${WORKLOADS.join(', ')})`);
  if (typeof t.name !== 'string' || t.name === '') problems.push(`${at}name: required`);
  if (t.pull_by !== undefined && t.pull_by !== 'tag' && t.pull_by !== 'digest') problems.push(`${at}pull_by: must be "tag" or "digest"`);
  return {
    name: String(t.name ?? ''),
    description: String(t.description ?? ''),
    firstMirror: faults('first_mirror'),
    ...(t.all_mirrors ? { allMirrors: faults('all_mirrors') } : {}),
    neverContactSource: t.never_contact_source === true,
    digestOnlyMirrors: t.digest_only_mirrors === true,
    pullBy: t.pull_by === 'digest' ? 'digest' : 'tag',
    workloads: workloads as Workload[],
  };
}

/** A much smaller run of the same scenarios, for a quick look and the smoke test. */
export function quick(plan: BenchPlan): BenchPlan {
  return {
    ...plan,
    requests: Math.min(plan.requests, 60),
    warmup: Math.min(plan.warmup, 10),
    maxSecondsPerRun: Math.min(plan.maxSecondsPerRun, 10),
    image: { ...plan.image, pulls: Math.min(plan.image.pulls, 8), layerMiB: Math.min(plan.image.layerMiB, 1) },
    largeBlobMiB: Math.min(plan.largeBlobMiB, 16),
    largeBlobRounds: 1,
    wrk: { ...plan.wrk, seconds: 1 },
    concurrentBlobs: { count: Math.min(plan.concurrentBlobs.count, 8), mib: Math.min(plan.concurrentBlobs.mib, 2) },
  };
}
