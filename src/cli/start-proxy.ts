// The composition root: settings + rules -> a listening proxy. Everything
// stateful (logger, metrics, agents, caches, endpoint state, the rules
// holder) is made here and passed in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RulesHolder } from '../config/rules-holder.js';
import { openRulesApi, type RulesApiOptions } from '../rules-api/index.js';
import type { Settings } from '../config/settings.js';
import type { RuleSet } from '../core/rules/model.js';
import { withoutSelf } from '../core/rules/self-mirrors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { packageVersion } from '../observability/build-info.js';
import { EndpointSeries } from '../observability/endpoint-series.js';
import { Metrics } from '../observability/metrics.js';
import { namedRegistries } from '../core/rules/named-registries.js';
import { RecentPulls } from '../observability/recent-pulls.js';
import { ByteGate } from '../pull/bounded-json.js';
import type { PullContext } from '../pull/context.js';
import { Affinity, BusyEndpoints } from '../pull/endpoint-state.js';
import { HashPool } from '../pull/hash-worker.js';
import { EndpointHealth } from '../pull/health.js';
import { HedgeProbes } from '../pull/probes.js';
import { BadCopies } from '../store/bad-copies.js';
import { BlobStore } from '../store/blobs.js';
import { FILE_BUFFER_LIMITS, FileBuffers } from '../store/file-buffers.js';
import { ContentStore } from '../store/content-store.js';
import { BlobDisk } from '../store/disk.js';
import { FillMemory } from '../store/fill-memory.js';
import { ManifestCache } from '../store/manifest-cache.js';
import { ManifestStore } from '../store/manifests.js';
import { createAdminHandler, createHandler } from '../server/app.js';
import { loadAccess, type Access } from '../server/auth/access.js';
import { authFileSettings } from '../server/auth/file-state.js';
import { guard, type Handler } from '../server/guard.js';
import { listen, type Listening } from '../server/listen.js';
import { Agents } from '../upstream/agents.js';
import { loadCredentials } from '../upstream/auth/credentials.js';
import { TokenCache, type Clock } from '../upstream/auth/tokens.js';
import { UpstreamClient } from '../upstream/client.js';
import { StallWatch, realTimers } from '../upstream/stall.js';
import type { ClusterSource } from '../cluster/cluster-source.js';
import { namedHosts } from '../upstream/named-hosts.js';
import { systemWallClock, type WallClock } from '../upstream/retry-after.js';

export interface Proxy extends Listening {
  readonly rules: () => RuleSet;
  readonly holder: RulesHolder;
  /** Admin listener URLs, when one is configured. */
  readonly adminUrls: readonly string[];
  /** What pulls share (tests read its counters, such as the manifest buffer's peak). */
  readonly pull: PullContext;
  /** The memory disk-cache fills hold together (tests read its peak). */
  readonly fillMemory: FillMemory;
  /** The read buffers responses sending cached blobs hold together (tests read its peak). */
  readonly sendBuffers: FileBuffers;
  /**
   * Shuts down gracefully: /readyz answers 503 at once, no new connections,
   * requests in flight get `graceMs` (default server.shutdown_grace_ms) to finish.
   */
  close(graceMs?: number): Promise<void>;
}

/** The rules in force minus mirrors that are mirrorgate itself; derived once per rule set. */
function rulesWithoutSelf(holder: RulesHolder, advertised: readonly string[]): () => RuleSet {
  let from: RuleSet | undefined;
  let derived: RuleSet | undefined;
  return () => {
    const current = holder.current();
    if (current !== from) [from, derived] = [current, withoutSelf(current, advertised)];
    return derived as RuleSet;
  };
}

/** The rules API answers its paths on the admin listener; everything else is the admin handler's. */
function withRulesApi(api: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined, admin: Handler, log: Logger): Handler {
  if (!api) return admin;
  return guard(log, async (req, res) => {
    if (!(await api(req, res))) admin(req, res);
  });
}

/**
 * With rules.kubernetes, the cluster's rule objects are a rule source. The first
 * list is awaited, so a replica normally starts on the cluster's rules; when the
 * API server cannot be reached, pulls are refused until it has been listed.
 */
async function followCluster(settings: Settings, log: Logger, reload: (source: string) => void): Promise<ClusterSource | undefined> {
  if (settings.kubernetes === '') return undefined;
  // Loaded only when used: the Kubernetes client alone is ~26 MiB of heap, a third of an idle proxy's.
  const { clusterSource } = await import('../cluster/cluster-source.js');
  const source = clusterSource(settings.kubernetes, {
    onChange: () => reload('cluster'),
    onStatus: (kind, error) => (error === undefined ? log.info({ kind }, 'cluster: following again') : log.warn({ kind, error }, 'cluster: list/watch failing; the last rules read stay in force')),
    onProblem: (problem) => log.warn({ problem }, 'cluster: ignored what the API server sent'),
  });
  await source.start();
  const status = source.status();
  log.info({ server: status.server, synced: status.synced, connected: status.connected }, 'cluster: following rule objects');
  return source;
}

export async function startProxy(settings: Settings, options: { log?: Logger; clock?: Clock; wallClock?: WallClock; watch?: boolean; api?: Pick<RulesApiOptions, 'bookmarkIntervalMs' | 'now'> } = {}): Promise<Proxy> {
  const log = options.log ?? createLogger(settings.logLevel, undefined, settings.logFlushMs);
  const clock = options.clock ?? { now: () => performance.now() };
  const wall = options.wallClock ?? systemWallClock;
  const wallClock = () => wall.now();
  const api = settings.api.enabled ? await openRulesApi({ stateDir: settings.api.stateDir as string, tokensFile: settings.api.tokensFile as string, watchHistory: settings.api.watchHistory, ...options.api }, log) : undefined;
  // Changes the follower sees before the holder exists are in its first read.
  let holder: RulesHolder | undefined;
  const cluster = await followCluster(settings, log, (changed) => void holder?.reload([changed]));
  holder = await RulesHolder.load(settings.rulePaths, [...(api ? [api.source] : []), ...(cluster ? [cluster] : [])]);
  for (const w of holder.current().warnings) log.warn({ warning: w }, 'rules warning');
  const health = new EndpointHealth(settings.health, clock);
  const metrics = new Metrics(health, { version: packageVersion(), maxEndpoints: settings.metricsMaxEndpoints, wallClock });
  metrics.rulesLoaded(holder.generation, true, holder.current().objects, namedRegistries(holder.current()).hosts);
  if (cluster) metrics.followCluster(cluster.status);
  holder.onReload((outcome, rules) => {
    metrics.reloads.inc({ result: outcome.ok ? 'ok' : 'failed' });
    metrics.rulesLoaded(outcome.generation, outcome.ok, rules.objects, namedRegistries(rules).hosts);
    if (outcome.ok) log.info({ generation: outcome.generation, objects: rules.objects.length }, 'rules reloaded');
    else log.error({ generation: outcome.generation, errors: outcome.errors }, 'rules reload failed: the previous rules stay in force');
  });
  const agents = new Agents(settings, namedHosts(holder.current, settings.defaultRegistry, settings.allow), settings.endpointTimeouts, { allowTeredo: settings.allowTeredo });
  // A token realm is reached with the TLS policy of the endpoint whose challenge named it.
  const tokens = new TokenCache((tls) => agents.for(tls), clock, (registry, ok) => metrics.tokenFetches.inc({ registry: metrics.endpoint(registry), result: ok ? 'ok' : 'failed' }));
  const client = new UpstreamClient(agents, tokens, await loadCredentials(settings.credentialsFile), { wall, maxRetryAfterMs: settings.maxRetryAfterMs });
  const timers = realTimers(clock);
  const pull: PullContext = {
    client,
    clock,
    timers,
    stall: new StallWatch({ minBytesPerS: settings.dataPath.minBytesPerS, windowMs: settings.dataPath.stallWindowMs }, timers),
    pullDeadlineMs: settings.dataPath.pullDeadlineMs,
    health,
    busy: new BusyEndpoints(clock, settings.health.maxEndpoints, settings.maxRetryAfterMs),
    affinity: new Affinity(clock, settings.affinityTtlMs),
    hedge: settings.hedge,
    probes: new HedgeProbes(timers, settings.dataPath.pullDeadlineMs),
    maxManifestBytes: settings.maxManifestBytes,
    allowSchema1: settings.allowSchema1,
    hashing: new HashPool({ workers: settings.dataPath.hashWorkers, minBytes: settings.dataPath.hashWorkerMinBytes }),
    manifestBuffer: new ByteGate(Math.max(settings.manifestBufferBytes, settings.maxManifestBytes), settings.headersTimeoutMs),
  };
  const fillMemory = new FillMemory(settings.blobCache.maxFillMemoryBytes, (bytes) => metrics.blobFillMemory.set(bytes));
  const sendBuffers = new FileBuffers({ ...FILE_BUFFER_LIMITS, budget: settings.blobCache.maxSendBufferBytes }, (bytes) => metrics.blobSendBuffers.set(bytes));
  const content = new ContentStore(new ManifestStore(pull, new ManifestCache(settings.cache, clock)), await blobStore(settings, pull, metrics, log, { fillMemory, sendBuffers }));
  const rules = rulesWithoutSelf(holder, settings.advertise);
  const deps = {
    settings,
    content,
    rules,
    pull,
    log,
    metrics,
    recent: new RecentPulls(),
    series: new EndpointSeries(clock, metrics.endpoints),
    wallClock,
    rulesState: () => ({
      generation: holder.generation,
      lastReload: holder.lastReload,
      ...(cluster ? { cluster: { ...cluster.status(), inForce: cluster.complete(holder.documents('cluster')) } } : {}),
    }),
    access: await authAccess(settings, log, metrics),
    draining: () => draining,
  };
  let draining = false;
  const separateAdmin = settings.adminListen.length > 0;
  const listening = await listen(settings.listen, settings.tls, settings.clientLimits, createHandler(deps, !separateAdmin));
  const admin = separateAdmin ? await listen(settings.adminListen, settings.adminTls, settings.clientLimits, withRulesApi(api?.serve(holder, log), createAdminHandler(deps), log)) : undefined;
  const stopWatching = options.watch === false ? () => {} : holder.watch();
  log.info({ urls: listening.urls, adminUrls: admin?.urls ?? [], rules: holder.current().objects.length }, 'mirrorgate listening');
  // Lines are written in batches (log.flush_ms): whoever waits for this one need not wait for the timer.
  log.flush();
  return {
    urls: listening.urls,
    adminUrls: admin?.urls ?? [],
    rules,
    holder,
    pull,
    fillMemory,
    sendBuffers,
    close: async (graceMs = settings.dataPath.shutdownGraceMs) => {
      draining = true;
      stopWatching();
      cluster?.stop();
      // The admin listener stays up meanwhile, answering /readyz with 503.
      await listening.close(graceMs);
      await admin?.close();
      // Before the agents: undici's close waits for requests in flight, and a probe of a hung mirror would hold it.
      await pull.probes.close();
      await agents.close();
      await pull.hashing.close();
      log.info({}, 'mirrorgate stopped');
    },
  };
}

/** Memory for blobs held until verified (no disk cache), over all requests; more wait their turn. */
const VERIFY_HOLD_BYTES = 64 * 1024 * 1024;

/** The blob side of the content store; with `cache.blobs.dir`, over the disk cache. */
async function blobStore(settings: Settings, pull: PullContext, metrics: Metrics, log: Logger, memory: { fillMemory: FillMemory; sendBuffers: FileBuffers }): Promise<BlobStore> {
  const { dir, maxBytes, verifyBeforeServeBytes } = settings.blobCache;
  const disk = dir
    ? await BlobDisk.open(dir, maxBytes, {
        evicted: () => metrics.blobEvictions.inc(),
        size: (bytes) => metrics.blobCacheBytes.set(bytes),
        discarded: (digest) => log.warn({ digest, dir }, 'a cached blob found at start did not verify against its name: removed, fetched again from upstream'),
      })
    : undefined;
  return new BlobStore(pull, new BadCopies(pull.clock), disk, verifyBeforeServeBytes, {
    fill: (result) => metrics.blobFills.inc({ result }),
    sent: (source, bytes) => metrics.blobBytes.inc({ source }, bytes),
  }, new ByteGate(Math.max(VERIFY_HOLD_BYTES, verifyBeforeServeBytes), settings.headersTimeoutMs), memory.fillMemory, memory.sendBuffers);
}

/** Inbound auth, with each file's state in mirrorgate_auth_file_valid (1 from start-up, which fails on a bad file). */
async function authAccess(settings: Settings, log: Logger, metrics: Metrics): Promise<Access> {
  const access = await loadAccess(settings, log, (setting, loads) => metrics.authFileValid.set({ file: setting }, loads ? 1 : 0));
  for (const setting of authFileSettings(access)) metrics.authFileValid.set({ file: setting }, 1);
  return access;
}
