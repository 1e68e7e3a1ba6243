// Lists with limit/continue over one consistent snapshot: the continue token
// carries the snapshot's resourceVersion and the last name returned; the next
// page is read from the store as of that version (undoing later changes from
// the history), and a token older than the history is 410 Expired with the
// API server's message (apiserver storage/errors.go, etcd3 store GetList).
import { type Resource, apiVersionOf } from './kinds.js';
import type { KubeObject } from './object.js';
import type { RouterDeps } from './router.js';
import { ApiError, badRequest, expired } from './status.js';

interface Token {
  readonly rv: number;
  readonly start: string;
}

const encode = (t: Token) => Buffer.from(JSON.stringify({ v: 'mirrorgate/1', rv: t.rv, start: t.start })).toString('base64url');

function decode(text: string): Token {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { v?: string; rv?: unknown; start?: unknown };
    if (t.v === 'mirrorgate/1' && Number.isInteger(t.rv) && typeof t.start === 'string') return { rv: t.rv as number, start: t.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** The version to list at, from resourceVersion/resourceVersionMatch (or the continue token). */
function versionOf(deps: RouterDeps, q: URLSearchParams, token: Token | undefined): number {
  const rv = q.get('resourceVersion');
  const match = q.get('resourceVersionMatch');
  if (token) {
    if (rv) throw badRequest('specifying resource version is not allowed when using continue');
    return token.rv;
  }
  if (match && !rv) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match && !['Exact', 'NotOlderThan'].includes(match)) throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  const current = deps.store.resourceVersion;
  if (!rv || rv === '0') return current;
  const n = Number(rv);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`);
  if (n > current) throw new ApiError(504, 'Timeout', `Too large resource version: ${n}, current resource version: ${current}`);
  return match === 'Exact' ? n : current;
}

export function listObjects(deps: RouterDeps, r: Resource, q: URLSearchParams, select: (o: KubeObject) => boolean): object {
  const cont = q.get('continue');
  const token = cont ? decode(cont) : undefined;
  const at = versionOf(deps, q, token);
  let stored: KubeObject[];
  try {
    stored = deps.store.list(r, at);
  } catch (err) {
    if (token && err instanceof ApiError && err.code === 410) throw expired(CONTINUE_EXPIRED);
    throw err;
  }
  const all = stored.filter(select);
  const rest = token ? all.filter((o) => o.metadata.name > token.start) : all;
  const limit = Number(q.get('limit') ?? 0);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit ${JSON.stringify(q.get('limit'))}`);
  const page = limit > 0 ? rest.slice(0, limit) : rest;
  const more = page.length < rest.length;
  const last = page[page.length - 1];
  return {
    apiVersion: apiVersionOf(r),
    kind: `${r.kind}List`,
    metadata: { resourceVersion: String(at), ...(more && last ? { continue: encode({ rv: at, start: last.metadata.name }), remainingItemCount: rest.length - page.length } : {}) },
    items: page,
  };
}
