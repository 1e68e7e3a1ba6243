// A finished request -> metrics and the recent-pulls list, from what its
// handler recorded (attempts and summary); handlers do not count anything.
import { type AttemptRecord, servedAttempt } from '../pull/attempts.js';
import type { AppDeps, RequestSummary } from './request-context.js';

export interface Finished {
  readonly method: string;
  readonly status: number;
  readonly seconds: number;
  readonly summary: RequestSummary;
  readonly records: readonly AttemptRecord[];
}

export function observe(deps: AppDeps, done: Finished): void {
  const { metrics } = deps;
  const route = done.summary.route ?? 'invalid';
  metrics.requests.inc({ route, method: done.method, status: String(done.status) });
  metrics.duration.observe({ route, method: done.method }, done.seconds);
  if (done.summary.denial) metrics.denials.inc({ reason: done.summary.denial });
  if (done.summary.cache) metrics.cache.inc(done.summary.cache);
  for (const r of done.records) {
    if (r.shared) continue;
    metrics.attempts.inc({ endpoint: r.host, outcome: r.outcome, role: r.role });
    if (r.outcome === 'circuit_open') metrics.circuitSkips.inc({ endpoint: r.host });
    if (r.hedged) metrics.hedges.inc({ result: 'started' });
    if (r.hedged && r.outcome === 'ok') metrics.hedges.inc({ result: 'won' });
  }
  const served = servedAttempt(done.records);
  if (served) {
    metrics.served.inc({ endpoint: served.host, role: served.role });
    if (done.summary.bytes) metrics.bytes.inc({ endpoint: served.host }, done.summary.bytes);
    if (served.role === 'source' && done.records.some((r) => r.role === 'mirror')) metrics.fallbacks.inc({ route });
  }
  if (done.summary.image && (route === 'manifests' || route === 'blobs')) {
    deps.recent.add({ at: Date.now(), image: done.summary.image, status: done.status, ms: Math.round(done.seconds * 1000), ...(done.summary.servedBy ? { servedBy: done.summary.servedBy } : {}) });
  }
}
