import { parseRange } from '../../core/oci/range.js';
import { servedAttempt } from '../../pull/attempts.js';
import { serveBlob } from '../../pull/blob.js';
import { withAffinity } from '../../pull/candidates.js';
import { planFor, walkPlan } from '../plan-for.js';
import { blobOutput } from '../respond.js';
import { type RequestContext, namespaceHeaders, servedByHeader } from '../request-context.js';
import { repositoryKey } from './manifests.js';

/** GET/HEAD /v2/<name>/blobs/<digest>, Range included. Any endpoint of the repository's digest plan may serve. */
export async function blobs(ctx: RequestContext): Promise<void> {
  const digest = ctx.route.reference as string;
  const { plan, candidates } = planFor(ctx, `@${digest}`);
  const list = withAffinity(candidates, ctx.deps.pull.affinity.recall(repositoryKey(ctx)), digest);
  const method = ctx.req.method === 'HEAD' ? 'HEAD' : 'GET';
  const range = parseRange(ctx.req.headers.range);
  const out = blobOutput(ctx.res, namespaceHeaders(ctx), { ms: ctx.deps.settings.dataPath.sendTimeoutMs, timers: ctx.deps.pull.timers });
  const result = await walkPlan(ctx, plan, () => serveBlob(ctx.deps.pull, list, { method, digest, range }, withServedBy(out, ctx), ctx.records, ctx.signal));
  ctx.summary.servedBy = result.servedBy;
  ctx.summary.bytes = result.bytes;
}

/** The served-by header names the endpoint that actually answered, known only once one did. */
function withServedBy(out: ReturnType<typeof blobOutput>, ctx: RequestContext): ReturnType<typeof blobOutput> {
  return {
    ...out,
    start: (status, headers) => {
      const served = servedAttempt(ctx.records);
      out.start(status, { ...headers, ...(served ? servedByHeader(ctx, served.endpoint) : {}) });
    },
  };
}
