// Every metric mirrorgate exports, declared in one place. A Registry per
// process, built in the composition root (no global registry). Names follow
// the Prometheus conventions the ecosystem's dashboards expect (promhttp,
// distribution, spegel): the status label is `code`, Node's process metrics
// are unprefixed (`process_*`, `nodejs_*`), states are one 0/1 series each.
// Endpoint label values are bounded by EndpointLabels (`metrics.max_endpoints`).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EndpointLabels, OTHER } from './endpoint-labels.js';
import { type CounterChild, type HistogramChild, LabelledCounter, LabelledHistogram } from './tallies.js';

type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitSource {
  snapshot(): { endpoint: string; state: CircuitState }[];
}

export interface MetricsOptions {
  readonly version: string;
  /** Endpoints beyond this many share the label value `other`. */
  readonly maxEndpoints: number;
  /** Wall clock in ms since the epoch, for the reload timestamp. */
  readonly wallClock: () => number;
}

interface HttpSeries {
  readonly requests: CounterChild;
  readonly duration: HistogramChild;
  readonly responseSize: HistogramChild;
}

const STATES: readonly CircuitState[] = ['closed', 'half-open', 'open'];
const HTTP_LABELS = ['route', 'method', 'code'];
// From a 1 ms cache hit to a multi-minute layer download.
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600];
// From an error body to a multi-gigabyte layer.
const BYTES = [256, 4096, 65_536, 1 << 20, 16 << 20, 256 << 20, 4096 * (1 << 20)];

export class Metrics {
  readonly registry = new Registry();
  readonly endpoints: EndpointLabels;
  private readonly r = [this.registry];
  readonly requests = new LabelledCounter({ name: 'mirrorgate_http_requests_total', help: 'Requests answered, by route, method and HTTP status code.', labelNames: HTTP_LABELS, registers: this.r });
  readonly inFlight = new Gauge({ name: 'mirrorgate_http_requests_in_flight', help: 'Requests being answered now.', registers: this.r });
  readonly duration = new LabelledHistogram({ name: 'mirrorgate_http_request_duration_seconds', help: 'Time to answer a request, to the last byte of the body.', labelNames: HTTP_LABELS, buckets: SECONDS, registers: this.r });
  readonly responseSize = new LabelledHistogram({ name: 'mirrorgate_http_response_size_bytes', help: 'Body bytes sent per answer.', labelNames: HTTP_LABELS, buckets: BYTES, registers: this.r });
  readonly attempts = new Counter({ name: 'mirrorgate_upstream_attempts_total', help: 'Upstream attempts by endpoint (host:port or "other"), outcome class and role (mirror, source, affinity).', labelNames: ['endpoint', 'outcome', 'role'], registers: this.r });
  readonly attemptDuration = new Histogram({ name: 'mirrorgate_upstream_attempt_duration_seconds', help: 'Time from sending an upstream request to its answer (response headers; blob bodies stream after), by endpoint and outcome class. Skipped endpoints (busy, circuit_open) and lost hedge races are not observed.', labelNames: ['endpoint', 'outcome'], buckets: SECONDS, registers: this.r });
  readonly served = new Counter({ name: 'mirrorgate_upstream_served_total', help: 'Requests served from an upstream, by the endpoint that served and its role; each client request counts, coalesced ones included.', labelNames: ['endpoint', 'role'], registers: this.r });
  readonly bytes = new Counter({ name: 'mirrorgate_upstream_served_bytes_total', help: 'Body bytes sent to clients, by the upstream endpoint they came from.', labelNames: ['endpoint'], registers: this.r });
  readonly fallbacks = new Counter({ name: 'mirrorgate_fallback_to_source_total', help: 'Requests served by the source after a mirror of their plan was tried and failed.', labelNames: ['route'], registers: this.r });
  readonly sendTimeouts = new Counter({ name: 'mirrorgate_client_send_timeouts_total', help: 'Clients cut for taking no bytes for server.send_timeout_ms: their answers broken, their upstream work aborted.', registers: this.r });
  readonly denials = new Counter({ name: 'mirrorgate_denials_total', help: 'Requests denied, by reason: blocked, policy, not_allowed, never_contact_source.', labelNames: ['reason'], registers: this.r });
  readonly cache = new LabelledCounter({ name: 'mirrorgate_cache_requests_total', help: 'Cache lookups by kind (manifest, tag, negative, blob) and result (hit, miss, stale, coalesced).', labelNames: ['kind', 'result'], registers: this.r });
  readonly hedgesStarted = new Counter({ name: 'mirrorgate_hedges_started_total', help: 'Attempts started in parallel because the previous one was slow.', registers: this.r });
  readonly hedgesWon = new Counter({ name: 'mirrorgate_hedges_won_total', help: 'Hedged attempts that served the request.', registers: this.r });
  readonly tokenFetches = new Counter({ name: 'mirrorgate_token_fetches_total', help: 'Registry token requests by registry (or "other") and result (ok, failed).', labelNames: ['registry', 'result'], registers: this.r });
  readonly reloads = new Counter({ name: 'mirrorgate_rules_reloads_total', help: 'Rule reloads by result (ok, failed).', labelNames: ['result'], registers: this.r });
  readonly ruleObjects = new Gauge({ name: 'mirrorgate_rules_objects', help: 'Rule objects in force, by kind.', labelNames: ['kind'], registers: this.r });
  readonly generation = new Gauge({ name: 'mirrorgate_rules_generation', help: 'Generation of the rules in force (1 at start, +1 per successful reload).', registers: this.r });
  readonly lastReloadSuccessful = new Gauge({ name: 'mirrorgate_last_reload_successful', help: '1 when the last rules load succeeded, 0 when it failed and older rules are in force.', registers: this.r });
  readonly lastReloadSuccess = new Gauge({ name: 'mirrorgate_last_reload_success_timestamp_seconds', help: 'Wall-clock time of the last successful rules load, in seconds since the epoch.', registers: this.r });
  readonly authFileValid = new Gauge({ name: 'mirrorgate_auth_file_valid', help: 'Per inbound auth file, by the setting that names it (auth.htpasswd, auth.tokens, admin.tokens): 1 while it loads, 0 while it fails to load and every credential from it is refused.', labelNames: ['file'], registers: this.r });

  // The disk blob cache (lookups are in mirrorgate_cache_requests_total{kind="blob"}).
  readonly blobFills = new Counter({ name: 'mirrorgate_blob_cache_fills_total', help: 'Blob cache fills by result (ok: verified and kept, failed).', labelNames: ['result'], registers: this.r });
  readonly blobBytes = new Counter({ name: 'mirrorgate_blob_bytes_sent_total', help: 'Blob body bytes sent to clients, by source (cache, upstream).', labelNames: ['source'], registers: this.r });
  readonly blobEvictions = new Counter({ name: 'mirrorgate_blob_cache_evictions_total', help: 'Blobs evicted from the disk cache (least recently used).', registers: this.r });
  readonly blobCacheBytes = new Gauge({ name: 'mirrorgate_blob_cache_bytes', help: 'Bytes of blobs in the disk cache.', registers: this.r });
  readonly blobFillMemory = new Gauge({ name: 'mirrorgate_blob_fill_memory_bytes', help: 'Bytes the disk-cache fills in flight hold in memory for their readers (bounded by cache.blobs.max_fill_memory_bytes).', registers: this.r });
  readonly blobSendBuffers = new Gauge({ name: 'mirrorgate_blob_send_buffer_bytes', help: 'Bytes of read buffers lent to responses sending cached blobs (bounded by cache.blobs.max_send_buffer_bytes).', registers: this.r });

  // Each request counts in these: their series are found once per label tuple (./tallies.ts).
  private readonly httpSeries = new Map<string, HttpSeries>();
  private readonly cacheSeries = new Map<string, CounterChild>();

  constructor(circuits: CircuitSource, private readonly options: MetricsOptions) {
    this.endpoints = new EndpointLabels(options.maxEndpoints);
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'mirrorgate_build_info', help: 'Always 1; labels say which mirrorgate and Node.js run.', labelNames: ['version', 'node'], registers: this.r }).set({ version: options.version, node: process.version }, 1);
    const labels = this.endpoints;
    new Gauge({
      name: 'mirrorgate_circuit_state',
      help: 'Circuit breaker state per endpoint: 1 for the state it is in, 0 for the others. "other" is 1 for a state when any folded endpoint is in it.',
      labelNames: ['endpoint', 'state'],
      registers: this.r,
      collect() {
        this.reset();
        for (const { endpoint, state } of circuits.snapshot()) {
          const label = labels.has(endpoint) ? endpoint : OTHER;
          for (const s of STATES) if (label !== OTHER || s === state) this.set({ endpoint: label, state: s }, s === state ? 1 : 0);
        }
      },
    });
  }

  /** Gauges of a followed cluster: listed once (synced) and currently reachable (connected), per kind. */
  followCluster(status: () => { resources: readonly { kind: string; synced: boolean; error?: string }[] }): void {
    const gauge = (name: string, help: string, value: (r: { synced: boolean; error?: string }) => boolean) =>
      new Gauge({
        name,
        help,
        labelNames: ['kind'],
        registers: this.r,
        collect() {
          for (const r of status().resources) this.set({ kind: r.kind }, value(r) ? 1 : 0);
        },
      });
    gauge('mirrorgate_cluster_synced', 'Followed cluster: 1 once the kind has been listed since start.', (r) => r.synced);
    gauge('mirrorgate_cluster_connected', 'Followed cluster: 1 while the list and watch of the kind work; 0 while failing (the last rules read stay in force).', (r) => r.error === undefined);
  }

  /** The request series of (route, method, code): bounded, since Node's parser admits only known methods. */
  http(route: string, method: string, code: string): HttpSeries {
    const key = `${route} ${method} ${code}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      series = { requests: this.requests.labels(route, method, code), duration: this.duration.labels(route, method, code), responseSize: this.responseSize.labels(route, method, code) };
      this.httpSeries.set(key, series);
    }
    return series;
  }

  /** The cache lookup counter of (kind, result). */
  cacheLookup(kind: string, result: string): CounterChild {
    const key = `${kind} ${result}`;
    let child = this.cacheSeries.get(key);
    if (!child) {
      child = this.cache.labels(kind, result);
      this.cacheSeries.set(key, child);
    }
    return child;
  }

  /** The bounded label value for an upstream endpoint or registry. */
  endpoint(host: string): string {
    return this.endpoints.label(host);
  }

  rulesLoaded(generation: number, ok: boolean, objects: readonly { kind: string }[], hosts: Iterable<string>): void {
    this.generation.set(generation);
    this.lastReloadSuccessful.set(ok ? 1 : 0);
    if (!ok) return;
    this.lastReloadSuccess.set(Math.floor(this.options.wallClock() / 1000));
    this.endpoints.seed(hosts);
    this.ruleObjects.reset();
    for (const o of objects) this.ruleObjects.inc({ kind: o.kind });
  }
}
