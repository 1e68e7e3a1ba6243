import { MEDIA_TYPES } from '../../core/oci/accept.js';
import { OciError } from '../../core/oci/errors.js';
import { fetchReferrers, fetchTags } from '../../pull/discovery.js';
import { planFor } from '../plan-for.js';
import { writeBytes, writeJson } from '../respond.js';
import { type RequestContext, routedHeaders } from '../request-context.js';

/** The largest tags/list page size a client may ask for (an int32, within every registry's integer range). */
const MAX_PAGE = 2 ** 31 - 1;

/** GET /v2/<name>/tags/list?n=&last= with the Link header written back in the client's path form. */
export async function tags(ctx: RequestContext): Promise<void> {
  const query = new URL(ctx.req.url ?? '/', 'http://client').searchParams;
  const n = query.get('n');
  // distribution (registry/handlers/tags.go) takes n through strconv.Atoi and answers 400 past its range: refused
  // here, never forwarded. 0 is answered below (an empty page).
  if (n !== null && (!/^\d{1,10}$/.test(n) || Number(n) > MAX_PAGE)) {
    throw new OciError('PAGINATION_NUMBER_INVALID', `invalid n=${JSON.stringify(n.slice(0, 40))}: expected an integer from 0 to ${MAX_PAGE}`);
  }
  const name = ctx.route.clientRepository;
  // Planned first: a registry the rules refuse is DENIED whatever the query asks.
  const { candidates } = planFor(ctx, ':latest');
  if (n === '0') {
    writeJson(ctx.res, 'GET', { name, tags: [] });
    return;
  }
  const upstreamQuery = new URLSearchParams();
  if (n !== null) upstreamQuery.set('n', n);
  const last = query.get('last');
  if (last !== null) upstreamQuery.set('last', last);
  const { value: page, candidate } = await fetchTags(ctx.deps.pull, candidates, upstreamQuery, ctx.records, ctx.signal);
  ctx.summary.servedBy = candidate.label;
  const headers = routedHeaders(ctx, candidate.label);
  if (page.next) headers.link = `<${clientLink(ctx, page.next)}>; rel="next"`;
  ctx.summary.bytes = writeJson(ctx.res, 'GET', { name, tags: page.tags }, headers);
}

function clientLink(ctx: RequestContext, next: { last: string; n?: string }): string {
  const q = new URLSearchParams({ last: next.last, ...(next.n ? { n: next.n } : {}) });
  if (ctx.route.ns !== undefined) q.set('ns', ctx.route.ns);
  const prefix = ctx.route.clientPrefix ? `/${ctx.route.clientPrefix}` : '';
  return `${prefix}/v2/${ctx.route.clientRepository}/tags/list?${q.toString()}`;
}

/** GET /v2/<name>/referrers/<digest>?artifactType= */
export async function referrers(ctx: RequestContext): Promise<void> {
  const digest = ctx.route.reference as string;
  const artifactType = new URL(ctx.req.url ?? '/', 'http://client').searchParams.get('artifactType') ?? undefined;
  const { candidates } = planFor(ctx, `@${digest}`);
  const { value, candidate } = await fetchReferrers(ctx.deps.pull, candidates, digest, artifactType, ctx.records, ctx.signal);
  ctx.summary.servedBy = candidate.label;
  const headers: Record<string, string> = { ...routedHeaders(ctx, candidate.label), 'content-type': MEDIA_TYPES.ociIndex };
  if (value.filtersApplied) headers['oci-filters-applied'] = 'artifactType';
  ctx.summary.bytes = writeBytes(ctx.res, 'GET', 200, value.index, headers);
}
