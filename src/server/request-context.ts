import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../core/oci/route.js';
import type { RuleSet } from '../core/rules/model.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../observability/logger.js';
import type { EndpointSeries } from '../observability/endpoint-series.js';
import type { Metrics } from '../observability/metrics.js';
import type { RecentPulls } from '../observability/recent-pulls.js';
import type { ReloadOutcome } from '../config/rules-holder.js';
import type { AttemptRecord } from '../pull/attempts.js';
import type { PullContext } from '../pull/context.js';
import type { ContentStore } from '../store/content-store.js';
import type { Access } from './auth/access.js';
import type { FollowerStatus } from '../cluster/follower.js';

/** The rules' state for /readyz, /status and the pull path. */
interface RulesState {
  readonly generation: number;
  readonly lastReload: ReloadOutcome;
  /** Present when a cluster is followed: until `inForce`, the rules in force are not (yet) the cluster's. */
  readonly cluster?: FollowerStatus & { readonly inForce: boolean };
}

/** What the server is built from; made once by the composition root. */
export interface AppDeps {
  readonly settings: Settings;
  /** The rules in force now (a reload swaps what this returns). */
  readonly rules: () => RuleSet;
  readonly pull: PullContext;
  /** Manifests and blobs, cached or fetched, behind the one policy check. */
  readonly content: ContentStore;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly recent: RecentPulls;
  /** The last 15 minutes per endpoint, for the status page. */
  readonly series: EndpointSeries;
  /** Wall clock (ms since the epoch) for timestamps people read. */
  readonly wallClock: () => number;
  readonly rulesState: () => RulesState;
  /** Inbound authentication; empty when off. */
  readonly access: Access;
  /** True once shutdown has begun: /readyz answers 503 while requests in flight finish. */
  readonly draining: () => boolean;
}

/** What one request carries through its handler, and what its log line reports. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: Extract<Route, { registry: string }>;
  readonly deps: AppDeps;
  /** This request's id: the client's sane `X-Request-Id`, else a new one. */
  readonly reqId: string;
  /** A child of the root logger bound to `reqId`: log through it, so every line of a request carries its id. */
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly records: AttemptRecord[];
  readonly summary: RequestSummary;
}

/** What a request's log line and metrics report. */
export interface RequestSummary {
  route?: string;
  image?: string;
  pullBy?: string;
  planLength?: number;
  servedBy?: string;
  bytes?: number;
  denial?: 'blocked' | 'policy' | 'not_allowed' | 'never_contact_source';
  /**
   * For a request served by an upstream fetch another request made (a
   * coalesced follower): that fetch's attempts. Its own `records` stay
   * empty (it made no attempt) while metrics still count it as served.
   */
  sharedAttempts?: readonly AttemptRecord[];
  cache?: { kind: 'manifest' | 'tag' | 'negative' | 'blob'; result: 'hit' | 'miss' | 'stale' | 'coalesced' };
}

/** The ns echo (distribution-spec "Registry Proxying"), when the client routed by ns. */
export const namespaceHeaders = (ctx: RequestContext): Record<string, string> => (ctx.route.ns !== undefined ? { 'oci-namespace': ctx.route.ns } : {});

/** The configurable header naming the endpoint that served, if enabled. */
export const servedByHeader = (ctx: RequestContext, servedBy: string): Record<string, string> =>
  ctx.deps.settings.servedByHeader ? { [ctx.deps.settings.servedByHeader]: servedBy } : {};

/**
 * Headers every served answer carries: where it came from, and the ns echo;
 * added to `headers` when given (a hot path: V8 spreads an object with a
 * configured header name slowly, microseconds per request).
 */
export function routedHeaders(ctx: RequestContext, servedBy: string, headers: Record<string, string> = {}): Record<string, string> {
  const name = ctx.deps.settings.servedByHeader;
  if (name) headers[name] = servedBy;
  if (ctx.route.ns !== undefined) headers['oci-namespace'] = ctx.route.ns;
  return headers;
}
