// Manifest caching (lru-cache, bounded in bytes):
// - manifests by digest: immutable and verified, kept until evicted;
// - tag -> digest: fresh for `tagTtlMs`; older entries are served only when
//   every endpoint fails (stale-if-error), up to `staleMaxMs`;
// - not-found answers for `negativeTtlMs`;
// tags and not-found answers under the `scope` of the walk that learnt them
// (store/scope.ts), so only the same walk under the rules in force finds them.
// A cached manifest is served only to clients whose Accept allows its type.
import { LRUCache } from 'lru-cache';
import type { OciError } from '../core/oci/errors.js';
import type { Clock } from '../upstream/auth/tokens.js';
import type { Manifest } from '../pull/manifest.js';
import { manifestDigest } from '../pull/verify.js';

export interface CacheSettings {
  readonly maxBytes: number;
  readonly tagTtlMs: number;
  readonly staleIfError: boolean;
  readonly staleMaxMs: number;
  readonly negativeTtlMs: number;
  /** Share identical concurrent fetches. */
  readonly coalesce: boolean;
}

export interface CachedManifest {
  readonly contentType: string;
  /** `contentType` without parameters, lower case: what Accept is matched against (worked out once, not per request). */
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Buffer;
  readonly servedBy: string;
}

interface TagEntry {
  readonly digest: string;
  readonly at: number;
}

export type CacheResult = 'hit' | 'miss' | 'stale' | 'coalesced';

const ENTRY_OVERHEAD = 256;

export class ManifestCache {
  private readonly byDigest: LRUCache<string, CachedManifest>;
  private readonly tags: LRUCache<string, TagEntry>;
  private readonly negative: LRUCache<string, OciError>;

  constructor(
    readonly settings: CacheSettings,
    private readonly clock: Clock,
  ) {
    this.byDigest = new LRUCache({ maxSize: settings.maxBytes, sizeCalculation: (m) => m.body.length + ENTRY_OVERHEAD, perf: clock });
    this.tags = new LRUCache({ max: 50_000, ttl: Math.max(settings.staleMaxMs, settings.tagTtlMs), perf: clock });
    this.negative = new LRUCache({ max: 50_000, ttl: settings.negativeTtlMs, perf: clock });
  }

  manifest(digest: string, accepted: readonly string[]): CachedManifest | undefined {
    const m = this.byDigest.get(digest);
    return m && acceptable(m.mediaType, accepted) ? m : undefined;
  }

  /** The digest a tag had, and whether that is still fresh. */
  tag(scope: string, tag: string): { digest: string; fresh: boolean } | undefined {
    const t = this.tags.get(`${scope}:${tag}`);
    return t && { digest: t.digest, fresh: this.clock.now() - t.at < this.settings.tagTtlMs };
  }

  /** Keeps a manifest under its digest, only when its bytes hash to that digest. */
  store(scope: string, reference: string, manifest: Manifest & { body: Buffer }, servedBy: string): void {
    if (manifestDigest(manifest.body, manifest.contentType, manifest.digest) !== manifest.digest) return;
    this.byDigest.set(manifest.digest, { contentType: manifest.contentType, mediaType: mediaTypeOf(manifest.contentType), digest: manifest.digest, body: manifest.body, servedBy });
    if (!reference.includes(':')) this.tags.set(`${scope}:${reference}`, { digest: manifest.digest, at: this.clock.now() });
    this.negative.delete(`${scope}|${reference}`);
  }

  notFound(scope: string, reference: string): OciError | undefined {
    return this.negative.get(`${scope}|${reference}`);
  }

  rememberNotFound(scope: string, reference: string, error: OciError): void {
    this.negative.set(`${scope}|${reference}`, error);
  }
}

const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]?.trim().toLowerCase() ?? '';

function acceptable(mediaType: string, accepted: readonly string[]): boolean {
  return accepted.length === 0 || accepted.includes('*/*') || accepted.includes(mediaType);
}
