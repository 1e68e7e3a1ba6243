// Manifests through the content store: the negative cache, fresh tags,
// manifests by digest (verified), one shared fetch for identical concurrent
// requests, stale-if-error, and the affinity a served manifest gives its
// referenced digests. Tags, "not found" answers and shared fetches are kept
// under the request's walk (`scope`, store/scope.ts), not under its name:
// only a request walking the same endpoints under the rules in force gets them,
// and under the media types the client accepts: the upstream chooses its answer
// by Accept (distribution answers a client that takes no lists with the
// linux/amd64 manifest, and one that takes no OCI index with 404:
// registry/handlers/manifests.go), so that answer is only this Accept's.
import { acceptedTypes } from '../core/oci/accept.js';
import { OciError } from '../core/oci/errors.js';
import { referencedDigests } from '../core/oci/manifest-refs.js';
import type { AttemptRecord } from '../pull/attempts.js';
import type { Candidate, PullContext } from '../pull/context.js';
import { fetchManifest, type Manifest } from '../pull/manifest.js';
import type { CachedManifest, CacheResult, ManifestCache } from './manifest-cache.js';
import { SingleFlight } from '../upstream/single-flight.js';

export interface ManifestAsk {
  /** The logical repository, `registry/repository`, for affinity (the caches key by the walk instead). */
  readonly repository: string;
  readonly reference: string;
  readonly method: 'GET' | 'HEAD';
  readonly accept: string;
  /** The endpoints to try, in order, from the plan in force. */
  readonly candidates: readonly Candidate[];
  readonly records: AttemptRecord[];
  /** The request's abort signal, asked for only when an upstream is contacted (a cache hit makes none). */
  readonly signal: () => AbortSignal;
  /** Wraps the upstream walk (turns a refused plan's failure into DENIED). */
  readonly guard: <T>(run: () => Promise<T>) => Promise<T>;
  /** Told how the cache answered, before the answer or the error; `shared`: the attempts of the fetch this request joined. */
  readonly report: (cache: { kind: 'manifest' | 'tag' | 'negative'; result: CacheResult }, shared?: readonly AttemptRecord[]) => void;
}

export type Sendable = Pick<CachedManifest, 'contentType' | 'digest'> & { body?: Buffer; length?: number };

export interface ManifestAnswer {
  readonly manifest: Sendable;
  readonly servedBy: string;
  readonly headers?: Record<string, string>;
  /** Why a stale copy was served. */
  readonly staleBecause?: string;
}

/** Final errors that stale-if-error may cover: the endpoints failed, they did not say "not here". */
const STALE_COVERS = new Set(['UNAVAILABLE', 'BAD_GATEWAY', 'GATEWAY_TIMEOUT', 'TOOMANYREQUESTS']);

/** An Accept header parsed, and the set of types it names as one key (order and repeats do not matter). */
interface ParsedAccept {
  readonly accepted: readonly string[];
  readonly types: string;
}

/**
 * Clients send a handful of distinct Accept headers: each is parsed once.
 * Bounded, since the header is client-chosen: a plain map emptied when full
 * (an LRU's bookkeeping on every hit costs more than a rare re-parse).
 */
const MAX_ACCEPTS = 256;
const MAX_CACHED_ACCEPT = 1024;

export class ManifestStore {
  private readonly flights: SingleFlight;
  private readonly accepts = new Map<string, ParsedAccept>();

  constructor(
    private readonly pull: PullContext,
    readonly cache: ManifestCache,
  ) {
    this.flights = new SingleFlight(cache.settings.coalesce);
  }

  /** `walk`: the identity of the walk of the request's plan (store/scope.ts walkKey). */
  async get(ask: ManifestAsk, walk: string): Promise<ManifestAnswer> {
    const { cache } = this;
    const { affinity } = this.pull;
    const { repository, reference } = ask;
    const { accepted, types } = this.acceptOf(ask.accept);
    const scope = `${walk}|${types}`;
    const digest = reference.includes(':') ? reference : undefined;
    const kind = digest ? 'manifest' : 'tag';
    const negative = cache.notFound(scope, reference);
    if (negative) {
      ask.report({ kind: 'negative', result: 'hit' });
      throw negative;
    }
    const tag = digest ? undefined : cache.tag(scope, reference);
    const known = digest ?? (tag?.fresh ? tag.digest : undefined);
    const hit = known ? cache.manifest(known, accepted) : undefined;
    if (hit) {
      ask.report({ kind, result: 'hit' });
      return { manifest: hit, servedBy: `cache (from ${hit.servedBy})` };
    }

    const flight = this.flights.run(`${scope}|${reference}|${ask.method}|${ask.accept}`, ask.signal(), ask.records, (signal) =>
      ask.guard(() => fetchManifest(this.pull, ask.candidates, { method: ask.method, reference, accept: ask.accept }, ask.records, signal)),
    );
    ask.report({ kind, result: flight.joined ? 'coalesced' : 'miss' }, flight.joined ? flight.shared : undefined);
    let fetched;
    try {
      fetched = await flight.promise;
    } catch (err) {
      const stale = tag && err instanceof OciError && STALE_COVERS.has(err.code) && cache.settings.staleIfError ? cache.manifest(tag.digest, accepted) : undefined;
      if (err instanceof OciError && err.status === 404) cache.rememberNotFound(scope, reference, err);
      if (!stale) throw err;
      ask.report({ kind: 'tag', result: 'stale' });
      return { manifest: stale, servedBy: `cache (stale, from ${stale.servedBy})`, headers: { warning: '110 - "Response is Stale"' }, staleBecause: (err as OciError).message };
    }
    const { value: manifest, candidate } = fetched;
    // A HEAD by tag names a digest the upstream only claims: when that digest is cached, answer its verified type and length.
    const verified = !manifest.body ? cache.manifest(manifest.digest, accepted) : undefined;
    if (verified) return { manifest: verified, servedBy: candidate.label };
    if (manifest.body) {
      // A child reached through affinity keeps the plan its parent came from.
      const prior = digest ? affinity.recall(repository, digest) : undefined;
      const inherited = prior?.target.domain === candidate.target.domain && prior.target.repository === candidate.target.repository;
      const via = inherited ? prior.via : digest ? `@${digest}` : `:${reference}`;
      affinity.remember(repository, { target: candidate.target, via }, [manifest.digest, ...referencedDigests(manifest.body)]);
      cache.store(scope, reference, manifest as Manifest & { body: Buffer }, candidate.label);
    }
    return { manifest, servedBy: candidate.label };
  }

  private acceptOf(header: string): ParsedAccept {
    const known = this.accepts.get(header);
    if (known) return known;
    const accepted = acceptedTypes(header);
    const parsed = { accepted, types: [...new Set(accepted)].sort().join(',') };
    if (header.length > MAX_CACHED_ACCEPT) return parsed;
    if (this.accepts.size >= MAX_ACCEPTS) this.accepts.clear();
    this.accepts.set(header, parsed);
    return parsed;
  }
}
