// Endpoints that served wrong bytes for a digest. A client's retry after a
// broken response must never be served by the endpoint that broke it, so a
// walk for that digest leaves such endpoints out (bounded, forgotten after
// a while: a mirror may be repaired).
import { LRUCache } from 'lru-cache';
import type { Candidate } from '../pull/context.js';
import type { Clock } from '../upstream/auth/tokens.js';

const key = (c: Candidate, digest: string) => `${c.target.domain}/${c.target.repository}@${digest}`;

export class BadCopies {
  private readonly seen: LRUCache<string, true>;

  constructor(clock: Clock, ttlMs = 3_600_000, max = 10_000) {
    this.seen = new LRUCache({ max, ttl: ttlMs, perf: clock });
  }

  remember(c: Candidate, digest: string): void {
    this.seen.set(key(c, digest), true);
  }

  /** `candidates` without those that served wrong bytes for `digest`. */
  without(candidates: readonly Candidate[], digest: string): Candidate[] {
    return candidates.filter((c) => !this.seen.has(key(c, digest)));
  }
}
