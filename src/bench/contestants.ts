// Starting each contestant of a run, and where its requests go.
import { nginxAvailable, registryAvailable, startNginx, startRegistryProxy, wrkAvailable } from './baselines.js';
import { type ProxyProcess, startMirrorgate } from './processes.js';
import type { BenchPlan, Scenario } from './scenarios.js';
import { type Scene, type Strategy, sceneRules, strategySettings } from './scene.js';

/**
 * The V8 flags of the shipped start command (npm start, the image): a larger initial old
 * space avoids the mark-compact regime of long blob copies.
 */
const SHIPPED_NODE_ARGS = ['--initial-old-space-size=128'];

/** Why a contestant cannot run on this machine, or undefined when it can. */
export function unavailable(strategy: Strategy, needsWrk = false): string | undefined {
  if (needsWrk && !wrkAvailable()) return 'wrk is not installed (apt-get install wrk)';
  if (strategy.startsWith('nginx') && !nginxAvailable()) return 'nginx is not installed (apt-get install nginx-light)';
  if (strategy.startsWith('registry-proxy') && !registryAvailable()) return 'docker-registry is not installed (apt-get install docker-registry)';
  return undefined;
}

/** The proxy process of a strategy, none for `direct`. Baselines stand in front of the healthy mirror 2. */
export async function startContestant(strategy: Strategy, plan: BenchPlan, scene: Scene, scenario: Scenario, cliPath: string): Promise<ProxyProcess | undefined> {
  switch (strategy) {
    case 'direct':
      return undefined;
    case 'nginx':
      return startNginx(scene.m2.host);
    case 'nginx-cache-warm':
      return startNginx(scene.m2.host, { cache: true });
    case 'registry-proxy':
    case 'registry-proxy-warm':
      return startRegistryProxy(scene.m2.host);
    default:
      return startMirrorgate(cliPath, strategySettings(strategy, plan, scene), sceneRules(scene, scenario), SHIPPED_NODE_ARGS);
  }
}

/** Where a strategy sends requests: mirrorgate's path form, a baseline's plain path, or the healthy upstream itself. */
export function baseFor(strategy: Strategy, scene: Scene, scenario: Scenario, proxy?: ProxyProcess): string | undefined {
  if (proxy) return strategy.startsWith('nginx') || strategy.startsWith('registry-proxy') ? `${proxy.url}/v2/ns` : `${proxy.url}/v2/src/ns`;
  // The floor: straight to an upstream that holds the content and answers.
  const healthy = scenario.allMirrors ? (scenario.neverContactSource ? undefined : scene.source) : scene.m2;
  return healthy && `http://${healthy.host}/v2/ns`;
}
