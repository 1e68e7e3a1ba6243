// The composition root: settings + rules -> a listening proxy. Everything
// stateful (logger, metrics, agents, caches, endpoint state, the rules
// holder) is made here and passed in.
import { RulesHolder } from '../config/rules-holder.js';
import type { Settings } from '../config/settings.js';
import type { RuleSet } from '../core/rules/model.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { packageVersion } from '../observability/build-info.js';
import { EndpointSeries } from '../observability/endpoint-series.js';
import { Metrics } from '../observability/metrics.js';
import { namedRegistries } from '../core/rules/named-registries.js';
import { RecentPulls } from '../observability/recent-pulls.js';
import { Affinity, BusyEndpoints } from '../pull/endpoint-state.js';
import { EndpointHealth } from '../pull/health.js';
import { ManifestCache } from '../pull/manifest-cache.js';
import { createAdminHandler, createHandler } from '../server/app.js';
import { listen, type Listening } from '../server/listen.js';
import { Agents } from '../upstream/agents.js';
import { loadCredentials } from '../upstream/auth/credentials.js';
import { TokenCache, type Clock } from '../upstream/auth/tokens.js';
import { UpstreamClient } from '../upstream/client.js';

export interface Proxy extends Listening {
  readonly rules: () => RuleSet;
  readonly holder: RulesHolder;
  /** Admin listener URLs, when one is configured. */
  readonly adminUrls: readonly string[];
}

export async function startProxy(settings: Settings, options: { log?: Logger; clock?: Clock; wallClock?: () => number; watch?: boolean } = {}): Promise<Proxy> {
  const log = options.log ?? createLogger(settings.logLevel);
  const clock = options.clock ?? { now: () => performance.now() };
  const wallClock = options.wallClock ?? Date.now;
  const holder = await RulesHolder.load(settings.rulePaths);
  for (const w of holder.current().warnings) log.warn({ warning: w }, 'rules warning');
  const health = new EndpointHealth(settings.health, clock);
  const metrics = new Metrics(health, { version: packageVersion(), maxEndpoints: settings.metricsMaxEndpoints, wallClock });
  metrics.rulesLoaded(holder.generation, true, holder.current().objects, namedRegistries(holder.current()).hosts);
  holder.onReload((outcome, rules) => {
    metrics.reloads.inc({ result: outcome.ok ? 'ok' : 'failed' });
    metrics.rulesLoaded(outcome.generation, outcome.ok, rules.objects, namedRegistries(rules).hosts);
    if (outcome.ok) log.info({ generation: outcome.generation, objects: rules.objects.length }, 'rules reloaded');
    else log.error({ generation: outcome.generation, errors: outcome.errors }, 'rules reload failed: the previous rules stay in force');
  });
  const agents = new Agents(settings, settings.endpointTimeouts);
  const tokens = new TokenCache((url) => agents.for({ insecure: url.protocol === 'http:' }), clock, (registry, ok) => metrics.tokenFetches.inc({ registry: metrics.endpoint(registry), result: ok ? 'ok' : 'failed' }));
  const client = new UpstreamClient(agents, tokens, await loadCredentials(settings.credentialsFile));
  const pull = {
    client,
    clock,
    health,
    cache: new ManifestCache(settings.cache, clock),
    busy: new BusyEndpoints(clock),
    affinity: new Affinity(clock, settings.affinityTtlMs),
    hedge: settings.hedge,
    maxManifestBytes: settings.maxManifestBytes,
  };
  const deps = {
    settings,
    rules: holder.current,
    pull,
    log,
    metrics,
    recent: new RecentPulls(),
    series: new EndpointSeries(clock, metrics.endpoints),
    wallClock,
    rulesState: () => ({ generation: holder.generation, lastReload: holder.lastReload }),
  };
  const separateAdmin = settings.adminListen.length > 0;
  const listening = await listen(settings.listen, settings.tls, createHandler(deps, !separateAdmin));
  const admin = separateAdmin ? await listen(settings.adminListen, undefined, createAdminHandler(deps)) : undefined;
  const stopWatching = options.watch === false ? () => {} : holder.watch();
  log.info({ urls: listening.urls, adminUrls: admin?.urls ?? [], rules: holder.current().objects.length }, 'mirrorgate listening');
  return {
    urls: listening.urls,
    adminUrls: admin?.urls ?? [],
    rules: holder.current,
    holder,
    close: async () => {
      stopWatching();
      await Promise.all([listening.close(), admin?.close()]);
      await agents.close();
    },
  };
}
