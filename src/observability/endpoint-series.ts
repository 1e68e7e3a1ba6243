// The last 15 minutes of each endpoint, for the status page's charts: a
// ring of 30-second buckets per endpoint holding attempts, successes, bytes
// and a latency histogram (for p50/p95). Bounded: one ring per labelled
// endpoint (the same EndpointLabels as /metrics), a fixed bucket count. The
// monotonic clock is injected; nothing here sleeps or sets timers.
import type { EndpointLabels } from './endpoint-labels.js';

/** Monotonic ms (the proxy's injected clock). */
export interface Clock {
  now(): number;
}

export const BUCKET_MS = 30_000;
export const BUCKETS = 30;
/** Latency bounds in ms (upper edges); quantiles are read as the bucket's upper edge. */
const LATENCY_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, Infinity];

interface Bucket {
  slot: number;
  attempts: number;
  ok: number;
  bytes: number;
  latency: number[];
}

export interface SeriesPoint {
  readonly attempts: number;
  /** 0..1, undefined without attempts. */
  readonly successRate?: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly bytes: number;
}

const empty = (slot: number): Bucket => ({ slot, attempts: 0, ok: 0, bytes: 0, latency: LATENCY_MS.map(() => 0) });

export class EndpointSeries {
  private readonly rings = new Map<string, Bucket[]>();

  constructor(
    private readonly clock: Clock,
    private readonly labels: EndpointLabels,
  ) {}

  private bucket(endpoint: string): Bucket {
    const label = this.labels.label(endpoint);
    const slot = Math.floor(this.clock.now() / BUCKET_MS);
    let ring = this.rings.get(label);
    if (!ring) this.rings.set(label, (ring = []));
    const i = slot % BUCKETS;
    if (ring[i]?.slot !== slot) ring[i] = empty(slot);
    return ring[i] as Bucket;
  }

  attempt(endpoint: string, ok: boolean, ms: number): void {
    const b = this.bucket(endpoint);
    b.attempts++;
    if (ok) b.ok++;
    const at = LATENCY_MS.findIndex((edge) => ms <= edge);
    (b.latency[at] as number)++;
  }

  served(endpoint: string, bytes: number): void {
    this.bucket(endpoint).bytes += bytes;
  }

  /** Per endpoint: `BUCKETS` points oldest first (empty ones included, so charts share a time axis) and the window's totals. */
  snapshot(): Map<string, EndpointWindow> {
    const now = Math.floor(this.clock.now() / BUCKET_MS);
    const out = new Map<string, EndpointWindow>();
    for (const [endpoint, ring] of this.rings) {
      const live = ring.filter((b) => b.slot > now - BUCKETS);
      const points: SeriesPoint[] = [];
      for (let slot = now - BUCKETS + 1; slot <= now; slot++) {
        const b = live.find((x) => x.slot === slot);
        points.push(b ? point(b) : { attempts: 0, bytes: 0 });
      }
      const merged = empty(now);
      for (const b of live) {
        merged.attempts += b.attempts;
        merged.ok += b.ok;
        merged.bytes += b.bytes;
        b.latency.forEach((n, i) => (merged.latency[i] = (merged.latency[i] as number) + n));
      }
      out.set(endpoint, { points, window: point(merged) });
    }
    return out;
  }
}

export interface EndpointWindow {
  readonly points: readonly SeriesPoint[];
  readonly window: SeriesPoint;
}

function point(b: Bucket): SeriesPoint {
  if (b.attempts === 0) return { attempts: 0, bytes: b.bytes };
  return { attempts: b.attempts, successRate: b.ok / b.attempts, p50Ms: quantile(b.latency, 0.5), p95Ms: quantile(b.latency, 0.95), bytes: b.bytes };
}

function quantile(counts: readonly number[], q: number): number {
  const n = counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] as number;
    if (seen >= q * n) return LATENCY_MS[i] === Infinity ? (LATENCY_MS[i - 1] as number) : (LATENCY_MS[i] as number);
  }
  return LATENCY_MS[LATENCY_MS.length - 2] as number;
}
