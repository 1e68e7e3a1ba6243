// The composition root: settings + rules -> a listening proxy. Everything
// stateful (logger, agents, caches, endpoint state) is made here and passed in.
import { loadRules } from '../config/load-rules.js';
import type { Settings } from '../config/settings.js';
import type { RuleSet } from '../core/rules/model.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { Affinity, BusyEndpoints } from '../pull/endpoint-state.js';
import { EndpointHealth } from '../pull/health.js';
import { createHandler } from '../server/app.js';
import { listen, type Listening } from '../server/listen.js';
import { Agents } from '../upstream/agents.js';
import { loadCredentials } from '../upstream/auth/credentials.js';
import { TokenCache, type Clock } from '../upstream/auth/tokens.js';
import { UpstreamClient } from '../upstream/client.js';

export interface Proxy extends Listening {
  readonly rules: () => RuleSet;
}

export async function startProxy(settings: Settings, options: { log?: Logger; clock?: Clock } = {}): Promise<Proxy> {
  const log = options.log ?? createLogger(settings.logLevel);
  const clock = options.clock ?? { now: () => performance.now() };
  const rules = await loadRules(settings.rulePaths);
  for (const w of rules.warnings) log.warn({ warning: w }, 'rules warning');
  const agents = new Agents(settings);
  const tokens = new TokenCache((url) => agents.for({ insecure: url.protocol === 'http:' }), clock);
  const client = new UpstreamClient(agents, tokens, await loadCredentials(settings.credentialsFile));
  const pull = {
    client,
    clock,
    busy: new BusyEndpoints(clock),
    affinity: new Affinity(clock, settings.affinityTtlMs),
    health: new EndpointHealth(settings.health, clock),
    hedge: settings.hedge,
    maxManifestBytes: settings.maxManifestBytes,
  };
  const current = () => rules;
  const listening = await listen(settings, createHandler({ settings, rules: current, pull, log }));
  log.info({ urls: listening.urls, rules: rules.objects.length }, 'mirrorgate listening');
  return {
    urls: listening.urls,
    rules: current,
    close: async () => {
      await listening.close();
      await agents.close();
    },
  };
}
