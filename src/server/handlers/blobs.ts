import { parseRange } from '../../core/oci/range.js';
import type { BlobOutput } from '../../store/output.js';
import { withAffinity } from '../affinity.js';
import { planFor, walkPlan } from '../plan-for.js';
import { blobOutput } from '../respond.js';
import { type RequestContext, namespaceHeaders, servedByHeader } from '../request-context.js';
import { repositoryKey } from './manifests.js';

/** GET/HEAD /v2/<name>/blobs/<digest>, Range included, through the content store. */
export async function blobs(ctx: RequestContext): Promise<void> {
  const digest = ctx.route.reference as string;
  const { plan, candidates } = planFor(ctx, `@${digest}`);
  const list = withAffinity(ctx, candidates, repositoryKey(ctx), digest);
  const method = ctx.req.method === 'HEAD' ? 'HEAD' : 'GET';
  const range = parseRange(ctx.req.headers.range);
  const canChunk = ctx.req.httpVersionMajor > 1 || (ctx.req.httpVersionMajor === 1 && ctx.req.httpVersionMinor >= 1);
  const out = withServedBy(blobOutput(ctx.res, namespaceHeaders(ctx), { ms: ctx.deps.settings.dataPath.sendTimeoutMs, timers: ctx.deps.pull.timers }), ctx);
  const result = await walkPlan(ctx, plan, () => ctx.deps.content.blob(plan, list, { method, digest, range, canChunk }, out, ctx.records, ctx.signal));
  ctx.summary.servedBy = result.servedBy;
  ctx.summary.bytes = result.bytes;
  if (result.cache) ctx.summary.cache = { kind: 'blob', result: result.cache };
  if (result.shared) ctx.summary.sharedAttempts = result.shared;
}

/** The served-by header names the endpoint that answered (or the cache), known only once one did. */
function withServedBy(out: BlobOutput, ctx: RequestContext): BlobOutput {
  return { ...out, start: (status, headers, servedBy) => out.start(status, { ...headers, ...servedByHeader(ctx, servedBy) }, servedBy) };
}
