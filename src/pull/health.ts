// Per-endpoint health, shared by every request: a circuit breaker keyed by
// host:port. After `failureThreshold` consecutive failures the endpoint is
// skipped for `coolDownMs`; then one request probes it (half-open): success
// closes the circuit, failure opens it again. It also keeps a latency
// average, which adaptive hedging reads. The clock is injected. The table is
// bounded (`maxEndpoints`, least recently used out): in open mode every
// host:port a client names would otherwise stay here for good.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../upstream/auth/tokens.js';
import type { FailureKind } from '../upstream/failure.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface HealthSettings {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly maxEndpoints?: number;
}

interface EndpointRecord {
  failures: number;
  openedAt?: number;
  /** When the half-open probe in flight was admitted; a probe whose outcome never comes lapses after a cool-down. */
  probeAt?: number;
  latencyMs?: number;
  lastOutcome?: string;
}

/** Failures that say something about the endpoint itself, not about the content asked for. */
const HEALTH_FAILURES: ReadonlySet<FailureKind> = new Set(['refused', 'dns', 'timeout', 'tls', 'status_5xx', 'digest_mismatch', 'invalid', 'redirect']);
const LATENCY_WEIGHT = 0.2;
const DEFAULT_MAX_ENDPOINTS = 1_000;

export class EndpointHealth {
  private readonly endpoints: LRUCache<string, EndpointRecord>;

  constructor(
    private readonly settings: HealthSettings,
    private readonly clock: Clock,
  ) {
    this.endpoints = new LRUCache({ max: settings.maxEndpoints ?? DEFAULT_MAX_ENDPOINTS });
  }

  /** How many endpoints are remembered (bounded by `maxEndpoints`). */
  get size(): number {
    return this.endpoints.size;
  }

  private record(endpoint: string): EndpointRecord {
    let r = this.endpoints.get(endpoint);
    if (!r) {
      r = { failures: 0 };
      this.endpoints.set(endpoint, r);
    }
    return r;
  }

  state(endpoint: string): CircuitState {
    const r = this.endpoints.peek(endpoint);
    if (r?.openedAt === undefined) return 'closed';
    return this.clock.now() - r.openedAt >= this.settings.coolDownMs ? 'half-open' : 'open';
  }

  /** May a request go to `endpoint` now? A half-open endpoint admits one probe at a time. */
  admit(endpoint: string): boolean {
    // A lookup that counts as use: an endpoint being tried is the last to be forgotten.
    this.endpoints.get(endpoint);
    const state = this.state(endpoint);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const r = this.record(endpoint);
    // A path that lost its probe's outcome (an abandoned attempt) must not keep the endpoint out for good.
    if (r.probeAt !== undefined && this.clock.now() - r.probeAt < this.settings.coolDownMs) return false;
    r.probeAt = this.clock.now();
    return true;
  }

  success(endpoint: string, latencyMs: number): void {
    const r = this.record(endpoint);
    r.failures = 0;
    delete r.probeAt;
    delete r.openedAt;
    r.latencyMs = r.latencyMs === undefined ? latencyMs : r.latencyMs + LATENCY_WEIGHT * (latencyMs - r.latencyMs);
    r.lastOutcome = 'ok';
  }

  /** Records an attempt that did not serve; only endpoint failures count towards opening. */
  failure(endpoint: string, kind: FailureKind): void {
    const r = this.record(endpoint);
    r.lastOutcome = kind;
    const wasProbe = r.probeAt !== undefined;
    delete r.probeAt;
    if (!HEALTH_FAILURES.has(kind)) {
      // The endpoint answered: it is up, whatever it said about the content.
      if (wasProbe || r.openedAt === undefined) r.failures = 0;
      if (wasProbe) delete r.openedAt;
      return;
    }
    r.failures++;
    if (wasProbe || r.failures >= this.settings.failureThreshold) r.openedAt = this.clock.now();
  }

  latency(endpoint: string): number | undefined {
    return this.endpoints.peek(endpoint)?.latencyMs;
  }

  /** Every endpoint remembered, for metrics and the status page. */
  snapshot(): { endpoint: string; state: CircuitState; failures: number; latencyMs?: number; lastOutcome?: string }[] {
    return [...this.endpoints.entries()].map(([endpoint, r]) => ({
      endpoint,
      state: this.state(endpoint),
      failures: r.failures,
      ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
      ...(r.lastOutcome !== undefined ? { lastOutcome: r.lastOutcome } : {}),
    }));
  }
}
