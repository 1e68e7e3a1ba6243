// One scenario's world: a source and two mirrors (simulated, on loopback),
// the rules that point the source at the mirrors, and the settings of each
// strategy under test.
import { FakeRegistry } from './simulated-registry.js';
import { seededRandom } from './random.js';
import type { BenchPlan, Scenario } from './scenarios.js';

export type Strategy = 'mirrorgate' | 'mirrorgate-disk' | 'mirrorgate-warm' | 'mirrorgate-cached' | 'naive' | 'direct' | 'nginx' | 'nginx-cache-warm' | 'registry-proxy' | 'registry-proxy-warm';

/** Contestants that keep blobs, primed with one fetch before they are measured. */
export const WARM: ReadonlySet<Strategy> = new Set(['nginx-cache-warm', 'registry-proxy-warm', 'mirrorgate-warm']);

export interface Scene {
  readonly m1: FakeRegistry;
  readonly m2: FakeRegistry;
  readonly source: FakeRegistry;
  stop(): Promise<void>;
}

export async function startScene(plan: BenchPlan, scenario: Scenario): Promise<Scene> {
  const [m1, m2, source] = await Promise.all([new FakeRegistry().start(), new FakeRegistry().start(), new FakeRegistry().start()]);
  [m1, m2, source].forEach((r, i) => {
    r.random = seededRandom(plan.seed + i);
    r.faults = {};
  });
  const { refuse: _r1, ...first } = scenario.firstMirror;
  m1.faults = { ...first };
  if (scenario.allMirrors) {
    const { refuse: _r2, ...all } = scenario.allMirrors;
    m1.faults = { ...all, ...first };
    m2.faults = { ...all };
  }
  return {
    m1,
    m2,
    source,
    stop: async () => void (await Promise.all([m1, m2, source].map((r) => r.stop()))),
  };
}

/** Stops the mirrors the scenario says refuse connections (after content was pushed). */
export async function applyRefusals(scene: Scene, scenario: Scenario): Promise<void> {
  if (scenario.firstMirror.refuse || scenario.allMirrors?.refuse) await scene.m1.stop();
  if (scenario.allMirrors?.refuse) await scene.m2.stop();
}

export function sceneRules(scene: Scene, scenario: Scenario): Record<string, string> {
  const source = `${scene.source.host}/ns`;
  const mirrors = `["${scene.m1.host}/ns", "${scene.m2.host}/ns"]`;
  const never = scenario.neverContactSource ? '\n    mirrorSourcePolicy: NeverContactSource' : '';
  const set = (kind: string, field: string) => `apiVersion: config.openshift.io/v1\nkind: ${kind}\nmetadata: {name: bench}\nspec:\n  ${field}:\n  - source: "${source}"\n    mirrors: ${mirrors}${never}\n`;
  const hosts = [scene.source, scene.m1, scene.m2].map((r) => `"${r.host}"`).join(', ');
  return {
    'image.yaml': `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: [${hosts}]\n`,
    'idms.yaml': set('ImageDigestMirrorSet', 'imageDigestMirrors'),
    ...(scenario.digestOnlyMirrors ? {} : { 'itms.yaml': set('ImageTagMirrorSet', 'imageTagMirrors') }),
  };
}

const CACHE_OFF = '[cache]\nmax_bytes = 1\ntag_ttl_ms = 1\nnegative_ttl_ms = 1\nstale_if_error = false\n';
// The naive walker shares nothing between requests either.
const NO_MEMORY = `${CACHE_OFF}coalesce = false\n`;

/** Settings of a strategy: mirrorgate as shipped (cache off or on), or a naive walker with no memory. */
export function strategySettings(strategy: Strategy, plan: BenchPlan, scene: Scene): string {
  const base = `[server]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\n[upstream]\nconnect_timeout_ms = 1000\nheaders_timeout_ms = ${plan.headersTimeoutMs}\n`;
  const aliases = `[upstream.aliases]\nsrc = "${scene.source.host}"\n`;
  if (strategy === 'naive') {
    // Every request walks the plan from the top: no health memory, no hedging, no cache, no affinity.
    return `${base}affinity_ttl_ms = 1\n${aliases}[health]\nfailure_threshold = 1000000000\n[hedge]\nmode = "off"\n${NO_MEMORY}`;
  }
  const hedge = `[hedge]\nmode = "adaptive"\ndelay_ms = ${plan.hedgeDelayMs}\n`;
  // The disk blob cache lives in the process's own fresh directory: cold at every start.
  const blobCache = strategy === 'mirrorgate-disk' || strategy === 'mirrorgate-warm' ? '[cache.blobs]\ndir = "blobs"\n' : '';
  return `${base}${aliases}${hedge}${strategy === 'mirrorgate-cached' ? '' : CACHE_OFF}${blobCache}`;
}
