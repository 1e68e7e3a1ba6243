// A finished request -> metrics, the endpoint series and the status page's
// rings, from what its handler recorded (attempts and summary); handlers do
// not count anything. Upstream attempts are counted once, by the request
// that made them; "served" is counted per client request, so a coalesced
// follower counts as served by the endpoint its leader's fetch came from.
import { type AttemptRecord, servedAttempt } from '../pull/attempts.js';
import { ENDPOINT_FAILURES, type FailureKind } from '../upstream/failure.js';
import type { RecentPull } from '../observability/recent-pulls.js';
import type { AppDeps, RequestSummary } from './request-context.js';

export interface Finished {
  readonly reqId: string;
  readonly method: string;
  readonly path: string;
  readonly code: number;
  readonly seconds: number;
  /** Body bytes sent. */
  readonly bytes: number;
  readonly client: string;
  readonly userAgent: string;
  readonly summary: RequestSummary;
  readonly records: readonly AttemptRecord[];
  /** The client was cut for taking no bytes for server.send_timeout_ms. */
  readonly sendTimedOut: boolean;
}

export function observe(deps: AppDeps, done: Finished): void {
  const { metrics } = deps;
  const route = done.summary.route ?? 'invalid';
  const http = metrics.http(route, done.method, String(done.code));
  http.requests.inc();
  http.duration.observe(done.seconds);
  http.responseSize.observe(done.bytes);
  if (done.summary.denial) metrics.denials.inc({ reason: done.summary.denial });
  if (done.sendTimedOut) metrics.sendTimeouts.inc();
  if (done.summary.cache) metrics.cacheLookup(done.summary.cache.kind, done.summary.cache.result).inc();
  for (const r of done.records) countAttempt(deps, r);
  // What served this request: its own walk, or the shared one it joined.
  const walk = done.records.length > 0 ? done.records : (done.summary.sharedAttempts ?? []);
  const served = servedAttempt(walk);
  if (served) {
    const endpoint = metrics.endpoint(served.host);
    metrics.served.inc({ endpoint, role: served.role });
    if (done.summary.bytes) {
      metrics.bytes.inc({ endpoint }, done.summary.bytes);
      deps.series.served(served.host, done.summary.bytes);
    }
    if (served.role === 'source' && walk.some((r) => r.role === 'mirror')) metrics.fallbacks.inc({ route });
    const failed = done.records.filter((r) => r !== served && r.outcome !== 'ok');
    if (failed.length > 0) deps.recent.failovers.add({ at: deps.wallClock(), reqId: done.reqId, image: done.summary.image ?? done.path, failed: failed.map((r) => ({ endpoint: r.endpoint, outcome: r.outcome })), servedBy: served.endpoint });
  }
  if (done.summary.image && (route === 'manifests' || route === 'blobs')) {
    const { image, servedBy, cache } = done.summary;
    // Optional fields set one by one, after the others, rather than spread: one entry per request (issue 11).
    const pull: { -readonly [K in keyof RecentPull]: RecentPull[K] } = {
      at: deps.wallClock(),
      reqId: done.reqId,
      route,
      image,
      client: done.client,
      userAgent: done.userAgent,
      code: done.code,
      ms: Math.round(done.seconds * 1000),
      bytes: done.bytes,
    };
    if (servedBy) pull.servedBy = servedBy;
    if (cache) pull.cache = cache.result;
    deps.recent.pulls.add(pull);
  }
}

function countAttempt(deps: AppDeps, r: AttemptRecord): void {
  const { metrics } = deps;
  const endpoint = metrics.endpoint(r.host);
  metrics.attempts.inc({ endpoint, outcome: r.outcome, role: r.role });
  if (r.hedged) metrics.hedgesStarted.inc();
  if (r.hedged && r.outcome === 'ok') metrics.hedgesWon.inc();
  // Skips (no request sent) and lost hedge races say nothing about the endpoint's speed or health.
  if (r.outcome === 'circuit_open' || r.outcome === 'busy' || r.outcome === 'aborted') return;
  metrics.attemptDuration.observe({ endpoint, outcome: r.outcome }, r.ms / 1000);
  // Success as health sees it (failure.ts): a 404 from a mirror that lacks the image is an answer, not a failure.
  deps.series.attempt(r.host, !ENDPOINT_FAILURES.has(r.outcome as FailureKind), r.ms);
}
