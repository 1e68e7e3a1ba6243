import { DEFAULT_ACCEPT } from '../../core/oci/accept.js';
import { withAffinity } from '../../pull/candidates.js';
import { fetchManifest } from '../../pull/manifest.js';
import { planFor, walkPlan } from '../plan-for.js';
import { writeBytes } from '../respond.js';
import { type RequestContext, routedHeaders } from '../request-context.js';

export const repositoryKey = (ctx: RequestContext): string => `${ctx.route.registry}/${ctx.route.repository}`;

/** GET/HEAD /v2/<name>/manifests/<tag|digest> */
export async function manifests(ctx: RequestContext): Promise<void> {
  const reference = ctx.route.reference as string;
  const digest = reference.includes(':') ? reference : undefined;
  const { plan, candidates } = planFor(ctx, digest ? `@${digest}` : `:${reference}`);
  const { pull } = ctx.deps;
  const list = digest ? withAffinity(candidates, pull.affinity.recall(repositoryKey(ctx)), digest) : candidates;
  const accept = ctx.req.headers.accept ?? DEFAULT_ACCEPT;
  const method = ctx.req.method === 'HEAD' ? 'HEAD' : 'GET';
  const { value: manifest, candidate } = await walkPlan(ctx, plan, () => fetchManifest(pull, list, { method, reference, accept }, ctx.records, ctx.signal));
  pull.affinity.remember(repositoryKey(ctx), candidate.target);
  ctx.summary.servedBy = candidate.label;
  const headers = {
    ...routedHeaders(ctx, candidate.label),
    'content-type': manifest.contentType,
    'docker-content-digest': manifest.digest,
    etag: `"${manifest.digest}"`,
  };
  if (method === 'HEAD') {
    ctx.res.writeHead(200, { ...headers, 'docker-distribution-api-version': 'registry/2.0', 'content-length': manifest.length });
    ctx.res.end();
    return;
  }
  ctx.summary.bytes = writeBytes(ctx.res, method, 200, manifest.body as Buffer, headers);
}
