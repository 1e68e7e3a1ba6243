// Content discovery: tags/list (pagination) and referrers, with the
// referrers tag schema (`<alg>-<hex>`) where an upstream lacks the API
// (distribution-spec "Listing Referrers"; containerd referrers.go).
import { MEDIA_TYPES } from '../core/oci/accept.js';
import { type NextPage, parseNextLink } from '../core/oci/link.js';
import { discard, header } from '../upstream/client.js';
import { ownFailure } from '../upstream/failure.js';
import type { AttemptRecord } from './attempts.js';
import { parseUpstreamJson, withHeldBody } from './bounded-json.js';
import type { Candidate, PullContext } from './context.js';
import { ensureOk } from './manifest.js';
import { walk, type WalkResult } from './walk.js';

const MAX_LIST_BYTES = 16 * 1024 * 1024;

export interface TagPage {
  readonly tags: readonly string[];
  /** The `last`/`n` of the upstream's next page, when it has one. */
  readonly next?: NextPage;
}

export function fetchTags(ctx: PullContext, candidates: readonly Candidate[], query: URLSearchParams, records: AttemptRecord[], signal: AbortSignal): Promise<WalkResult<TagPage>> {
  const qs = query.toString();
  return walk(ctx, candidates, records, { notFound: 'NAME_UNKNOWN', description: 'tag list' }, async (c, attemptSignal) => {
    const res = await ctx.client.request(c.target, 'GET', `/v2/${c.target.repository}/tags/list${qs ? `?${qs}` : ''}`, { accept: 'application/json' }, attemptSignal);
    ensureOk(res);
    const body = (await withHeldBody(ctx.manifestBuffer, res, MAX_LIST_BYTES, 'tag list', attemptSignal, (b) => parseUpstreamJson(b, 'tag list'))) as { tags?: unknown } | null;
    const tags = Array.isArray(body?.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
    const next = parseNextLink(header(res.headers, 'link'));
    return { tags, ...(next ? { next } : {}) };
  }, signal);
}

export interface Referrers {
  readonly index: Buffer;
  readonly filtersApplied: boolean;
}

const EMPTY_INDEX = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] as unknown[] };

export function fetchReferrers(ctx: PullContext, candidates: readonly Candidate[], digest: string, artifactType: string | undefined, records: AttemptRecord[], signal: AbortSignal): Promise<WalkResult<Referrers>> {
  return walk(ctx, candidates, records, { notFound: 'MANIFEST_UNKNOWN', description: `referrers of ${digest}` }, async (c, attemptSignal) => {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const res = await ctx.client.request(c.target, 'GET', `/v2/${c.target.repository}/referrers/${digest}${query}`, { accept: MEDIA_TYPES.ociIndex }, attemptSignal);
    if (res.status === 200) {
      return { index: await withHeldBody(ctx.manifestBuffer, res, MAX_LIST_BYTES, 'referrers index', attemptSignal, (b) => b), filtersApplied: (header(res.headers, 'oci-filters-applied') ?? '').includes('artifactType') };
    }
    if (res.status !== 404) ensureOk(res);
    discard(res.body);
    return fromTagSchema(ctx, c, digest, artifactType, attemptSignal);
  }, signal);
}

/** The index tagged `<alg>-<hex>`, filtered here; no such tag means no referrers. */
async function fromTagSchema(ctx: PullContext, c: Candidate, digest: string, artifactType: string | undefined, signal: AbortSignal): Promise<Referrers> {
  const tag = digest.replace(':', '-').slice(0, 128);
  const res = await ctx.client.request(c.target, 'GET', `/v2/${c.target.repository}/manifests/${tag}`, { accept: MEDIA_TYPES.ociIndex }, signal);
  if (res.status === 404) {
    discard(res.body);
    return { index: Buffer.from(JSON.stringify(EMPTY_INDEX)), filtersApplied: artifactType !== undefined };
  }
  ensureOk(res);
  const index = (await withHeldBody(ctx.manifestBuffer, res, MAX_LIST_BYTES, `referrers tag ${tag}`, signal, (b) => parseUpstreamJson(b, `referrers tag ${tag}`))) as {
    manifests?: unknown;
  } | null;
  // Anyone may push another kind of manifest under such a tag: the content's fault, not the endpoint's.
  if (typeof index !== 'object' || index === null || Array.isArray(index)) throw ownFailure('declined', `referrers tag ${tag} is not an image index`);
  const manifests = (Array.isArray(index.manifests) ? (index.manifests as { artifactType?: unknown }[]) : []).filter((m) => artifactType === undefined || m?.artifactType === artifactType);
  return { index: Buffer.from(JSON.stringify({ ...EMPTY_INDEX, ...index, manifests })), filtersApplied: artifactType !== undefined };
}
