// Every metric mirrorgate exports, declared in one place. A Registry per
// process, built in the composition root (no global registry). Label values
// are bounded: routes, outcomes, roles and the configured endpoints' host:port.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface CircuitSource {
  snapshot(): { endpoint: string; state: 'closed' | 'open' | 'half-open' }[];
}

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'mirrorgate_http_requests_total', help: 'Requests answered, by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly duration = new Histogram({
    name: 'mirrorgate_http_request_duration_seconds',
    help: 'Time to answer a request (for blobs: to the end of the body).',
    labelNames: ['route', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });
  readonly attempts = new Counter({ name: 'mirrorgate_upstream_attempts_total', help: 'Upstream attempts by endpoint, outcome class and role.', labelNames: ['endpoint', 'outcome', 'role'], registers: [this.registry] });
  readonly served = new Counter({ name: 'mirrorgate_upstream_served_total', help: 'Requests served, by the endpoint that served them and its role.', labelNames: ['endpoint', 'role'], registers: [this.registry] });
  readonly fallbacks = new Counter({ name: 'mirrorgate_fallback_to_source_total', help: 'Requests served by the source after the mirrors of their plan failed.', labelNames: ['route'], registers: [this.registry] });
  readonly denials = new Counter({ name: 'mirrorgate_denials_total', help: 'Requests denied, by reason: blocked, policy, not_allowed, never_contact_source.', labelNames: ['reason'], registers: [this.registry] });
  readonly bytes = new Counter({ name: 'mirrorgate_upstream_served_bytes_total', help: 'Body bytes sent to clients, by the endpoint they came from.', labelNames: ['endpoint'], registers: [this.registry] });
  readonly cache = new Counter({ name: 'mirrorgate_cache_requests_total', help: 'Cache lookups by kind (manifest, tag, negative, token) and result (hit, miss, stale).', labelNames: ['kind', 'result'], registers: [this.registry] });
  readonly circuitSkips = new Counter({ name: 'mirrorgate_circuit_skips_total', help: 'Attempts skipped because the endpoint circuit was open.', labelNames: ['endpoint'], registers: [this.registry] });
  readonly hedges = new Counter({ name: 'mirrorgate_hedges_total', help: 'Hedged attempts started, and those that won.', labelNames: ['result'], registers: [this.registry] });
  readonly tokenFetches = new Counter({ name: 'mirrorgate_token_fetches_total', help: 'Registry token requests by registry and result.', labelNames: ['registry', 'result'], registers: [this.registry] });
  readonly reloads = new Counter({ name: 'mirrorgate_rules_reloads_total', help: 'Rule reloads by result (ok, failed).', labelNames: ['result'], registers: [this.registry] });
  readonly ruleObjects = new Gauge({ name: 'mirrorgate_rules_objects', help: 'Rule objects in force, by kind.', labelNames: ['kind'], registers: [this.registry] });
  readonly generation = new Gauge({ name: 'mirrorgate_rules_generation', help: 'Generation of the rules in force (1 at start, +1 per successful reload).', registers: [this.registry] });
  readonly lastReloadOk = new Gauge({ name: 'mirrorgate_rules_last_reload_ok', help: '1 when the last reload succeeded, 0 when it failed and older rules are in force.', registers: [this.registry] });

  // The disk blob cache (lookups are in mirrorgate_cache_requests_total{kind="blob"}).
  readonly blobFills = new Counter({ name: 'mirrorgate_blob_cache_fills_total', help: 'Blob cache fills by result (ok: verified and kept, failed).', labelNames: ['result'], registers: [this.registry] });
  readonly blobBytes = new Counter({ name: 'mirrorgate_blob_bytes_sent_total', help: 'Blob body bytes sent to clients, by source (cache, upstream).', labelNames: ['source'], registers: [this.registry] });
  readonly blobEvictions = new Counter({ name: 'mirrorgate_blob_cache_evictions_total', help: 'Blobs evicted from the disk cache (least recently used).', registers: [this.registry] });
  readonly blobCacheBytes = new Gauge({ name: 'mirrorgate_blob_cache_bytes', help: 'Bytes of blobs in the disk cache.', registers: [this.registry] });

  constructor(circuits: CircuitSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'mirrorgate_' });
    new Gauge({
      name: 'mirrorgate_circuit_state',
      help: 'Circuit state per endpoint: 0 closed, 1 half-open, 2 open.',
      labelNames: ['endpoint'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { endpoint, state } of circuits.snapshot()) this.set({ endpoint }, CIRCUIT_VALUE[state]);
      },
    });
  }

  rulesLoaded(generation: number, ok: boolean, objects: readonly { kind: string }[]): void {
    this.generation.set(generation);
    this.lastReloadOk.set(ok ? 1 : 0);
    this.ruleObjects.reset();
    for (const o of objects) this.ruleObjects.inc({ kind: o.kind });
  }
}
