import { DEFAULT_ACCEPT, acceptedTypes } from '../../core/oci/accept.js';
import { OciError } from '../../core/oci/errors.js';
import { withAffinity } from '../../pull/candidates.js';
import type { CachedManifest } from '../../pull/manifest-cache.js';
import { fetchManifest, type Manifest } from '../../pull/manifest.js';
import { planFor, walkPlan } from '../plan-for.js';
import { writeBytes } from '../respond.js';
import { type RequestContext, routedHeaders } from '../request-context.js';

export const repositoryKey = (ctx: RequestContext): string => `${ctx.route.registry}/${ctx.route.repository}`;

/** Final errors that stale-if-error may cover: the endpoints failed, they did not say "not here". */
const STALE_COVERS = new Set(['UNAVAILABLE', 'BAD_GATEWAY', 'GATEWAY_TIMEOUT', 'TOOMANYREQUESTS']);

/** GET/HEAD /v2/<name>/manifests/<tag|digest>, through the manifest cache. */
export async function manifests(ctx: RequestContext): Promise<void> {
  const reference = ctx.route.reference as string;
  const digest = reference.includes(':') ? reference : undefined;
  // Planning comes first, so that denials in the rules in force apply to cached content too.
  const { plan, candidates } = planFor(ctx, digest ? `@${digest}` : `:${reference}`);
  const { pull } = ctx.deps;
  const { cache } = pull;
  const repo = repositoryKey(ctx);
  const accept = ctx.req.headers.accept ?? DEFAULT_ACCEPT;
  const accepted = acceptedTypes(accept);
  const method = ctx.req.method === 'HEAD' ? 'HEAD' : 'GET';

  const negative = cache.notFound(repo, reference);
  if (negative) {
    ctx.summary.cache = { kind: 'negative', result: 'hit' };
    throw negative;
  }
  const tag = digest ? undefined : cache.tag(repo, reference);
  const known = digest ?? (tag?.fresh ? tag.digest : undefined);
  const hit = known ? cache.manifest(known, accepted) : undefined;
  if (hit) {
    ctx.summary.cache = { kind: digest ? 'manifest' : 'tag', result: 'hit' };
    return send(ctx, method, hit, `cache (from ${hit.servedBy})`);
  }

  const list = digest ? withAffinity(candidates, pull.affinity.recall(repo), digest) : candidates;
  const flight = cache.coalesce(`${repo}|${reference}|${method}|${accept}`, ctx.signal, (signal) =>
    // The leader's attempts travel with the result, for the followers' log lines and metrics.
    walkPlan(ctx, plan, () => fetchManifest(pull, list, { method, reference, accept }, ctx.records, signal)).then((r) => ({ ...r, attempts: ctx.records })),
  );
  ctx.summary.cache = { kind: digest ? 'manifest' : 'tag', result: flight.joined ? 'coalesced' : 'miss' };
  let fetched;
  try {
    fetched = await flight.promise;
  } catch (err) {
    const stale = tag && err instanceof OciError && STALE_COVERS.has(err.code) && cache.settings.staleIfError ? cache.manifest(tag.digest, accepted) : undefined;
    if (err instanceof OciError && err.status === 404) cache.rememberNotFound(repo, reference, err);
    if (!stale) throw err;
    ctx.summary.cache = { kind: 'tag', result: 'stale' };
    ctx.log.warn({ error: (err as OciError).message, digest: stale.digest }, 'every endpoint failed: serving the cached manifest stale');
    return send(ctx, method, stale, `cache (stale, from ${stale.servedBy})`, { warning: '110 - "Response is Stale"' });
  }
  const { value: manifest, candidate } = fetched;
  if (flight.joined) ctx.summary.sharedAttempts = fetched.attempts;
  pull.affinity.remember(repo, candidate.target);
  if (manifest.body) cache.store(repo, reference, manifest as Manifest & { body: Buffer }, candidate.label);
  return send(ctx, method, manifest, candidate.label);
}

type Sendable = Pick<CachedManifest, 'contentType' | 'digest'> & { body?: Buffer; length?: number };

function send(ctx: RequestContext, method: string, m: Sendable, servedBy: string, extra: Record<string, string> = {}): void {
  ctx.summary.servedBy = servedBy;
  const headers = { ...routedHeaders(ctx, servedBy), ...extra, 'content-type': m.contentType, 'docker-content-digest': m.digest, etag: `"${m.digest}"` };
  const sent = writeBytes(ctx.res, method, 200, m.body, headers, m.body?.length ?? m.length ?? 0);
  if (method !== 'HEAD') ctx.summary.bytes = sent;
}
