import { DEFAULT_ACCEPT } from '../../core/oci/accept.js';
import type { Sendable } from '../../store/manifests.js';
import { withAffinity } from '../affinity.js';
import { planFor, walkPlan } from '../plan-for.js';
import { writeBytes } from '../respond.js';
import { type RequestContext, routedHeaders } from '../request-context.js';

export const repositoryKey = (ctx: RequestContext): string => `${ctx.route.registry}/${ctx.route.repository}`;

/** GET/HEAD /v2/<name>/manifests/<tag|digest>, through the content store. */
export async function manifests(ctx: RequestContext): Promise<void> {
  const reference = ctx.route.reference as string;
  const digest = reference.includes(':') ? reference : undefined;
  // Planning comes first, so that denials in the rules in force apply to cached content too.
  const { plan, candidates } = planFor(ctx, digest ? `@${digest}` : `:${reference}`);
  const method = ctx.req.method === 'HEAD' ? 'HEAD' : 'GET';
  const repository = repositoryKey(ctx);
  const answer = await ctx.deps.content.manifest(plan, {
    repository,
    reference,
    method,
    accept: ctx.req.headers.accept ?? DEFAULT_ACCEPT,
    candidates: digest ? withAffinity(ctx, candidates, repository, digest) : candidates,
    records: ctx.records,
    // Called only when an upstream is contacted: a cache hit makes no signal (server/request-lifetime.ts).
    // A function, not a getter: V8 builds object literals with accessors slowly.
    signal: () => ctx.signal,
    guard: (run) => walkPlan(ctx, plan, run),
    report: (cache, shared) => {
      ctx.summary.cache = cache;
      if (shared) ctx.summary.sharedAttempts = shared;
    },
  });
  if (answer.staleBecause) ctx.log.warn({ error: answer.staleBecause, digest: answer.manifest.digest }, 'every endpoint failed: serving the cached manifest stale');
  send(ctx, method, answer.manifest, answer.servedBy, answer.headers);
}

function send(ctx: RequestContext, method: string, m: Sendable, servedBy: string, extra?: Record<string, string>): void {
  ctx.summary.servedBy = servedBy;
  const headers = routedHeaders(ctx, servedBy, { 'content-type': m.contentType, 'docker-content-digest': m.digest, etag: `"${m.digest}"` });
  if (extra) Object.assign(headers, extra);
  const sent = writeBytes(ctx.res, method, 200, m.body, headers, m.body?.length ?? m.length ?? 0);
  if (method !== 'HEAD') ctx.summary.bytes = sent;
}
