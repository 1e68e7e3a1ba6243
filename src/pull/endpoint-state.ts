// Short-lived knowledge about endpoints shared by all requests: who asked us
// to back off (429 Retry-After), and which endpoint served a repository's
// last manifest (affinity). The clock is injected.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../upstream/auth/tokens.js';
import type { Target } from '../upstream/client.js';

const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Bounded like the health table: an endpoint forgotten early is only asked again sooner. */
export class BusyEndpoints {
  private readonly until: LRUCache<string, number>;
  constructor(
    /** Monotonic: the wait is a duration, whatever form the upstream gave it in. */
    private readonly clock: Clock,
    maxEndpoints = 1_000,
    /** No endpoint is kept out longer than this (upstream.max_retry_after_ms). */
    private readonly maxWaitMs = Number.POSITIVE_INFINITY,
  ) {
    this.until = new LRUCache({ max: maxEndpoints });
  }

  get size(): number {
    return this.until.size;
  }

  mark(domain: string, retryAfterMs: number | undefined): void {
    this.until.set(domain, this.clock.now() + Math.min(this.maxWaitMs, retryAfterMs ?? DEFAULT_RETRY_AFTER_MS));
  }

  /** Milliseconds left to wait, or 0. */
  remaining(domain: string): number {
    const until = this.until.get(domain);
    if (until === undefined) return 0;
    const left = until - this.clock.now();
    if (left <= 0) this.until.delete(domain);
    return Math.max(0, left);
  }
}

/**
 * containers/image keeps one endpoint for the pull of one image: what a
 * manifest references is taken from the endpoint that served that manifest.
 * A stateless proxy keeps that by remembering, per logical repository and
 * referenced digest, where the referencing manifest came from, and through
 * which reference's plan. It never leads outside the rules in force (see
 * server/affinity.ts).
 */
export interface Affine {
  readonly target: Target;
  /** The reference whose plan the endpoint came from (`:tag` or `@digest`). */
  readonly via: string;
}

export class Affinity {
  private readonly cache: LRUCache<string, Affine>;
  constructor(clock: Clock, ttlMs: number, max = 100_000) {
    this.cache = new LRUCache({ max, ttl: ttlMs, perf: clock });
  }

  remember(logicalRepository: string, affine: Affine, digests: readonly string[]): void {
    for (const d of digests) this.cache.set(`${logicalRepository}@${d}`, affine);
  }

  recall(logicalRepository: string, digest: string): Affine | undefined {
    return this.cache.get(`${logicalRepository}@${digest}`);
  }
}
