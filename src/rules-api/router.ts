// The rules API's HTTP surface: discovery, OpenAPI, and for each resource
// the collection (GET list/watch, POST, DELETE collection), the item (GET,
// PUT, PATCH, DELETE) and its /status (GET, PUT, PATCH), with the query
// parameters of the API documents.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APPLY, type WriteContext, createBuild, deleteBuild, patchBuild, updateBuild } from './builds.js';
import { discovery } from './discovery.js';
import { type FieldValidation, decodeBody } from './fields.js';
import { readBody, sendJson } from './http.js';
import { type Resource, RESOURCES, apiVersionOf } from './kinds.js';
import { type Json, type KubeObject, isObject } from './object.js';
import { openApiV3 } from './openapi.js';
import { listObjects } from './list.js';
import { fieldSelector, labelSelector } from './selectors.js';
import { badRequest, methodNotAllowed, notFound, notFoundPath } from './status.js';
import type { ObjectStore } from './store.js';
import { serveWatch } from './watch.js';
import type { Writer } from './writes.js';
import type { RequestTarget } from '../server/guard.js';

export interface RouterDeps {
  readonly store: ObjectStore;
  readonly writer: Writer;
  /** Wall clock for creationTimestamp and managedFields times. */
  readonly now: () => Date;
  readonly bookmarkIntervalMs: number;
}

interface Target {
  readonly r: Resource;
  readonly name?: string;
  readonly status: boolean;
}

function target(path: string): Target | undefined {
  const m = /^\/apis\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+)(\/status)?)?$/.exec(path);
  if (!m) return undefined;
  const r = RESOURCES.find((x) => x.group === m[1] && x.version === m[2] && x.plural === m[3]);
  if (!r || (m[5] && !r.hasStatus)) return undefined;
  return { r, ...(m[4] ? { name: decodedName(m[4]) } : {}), status: m[5] !== undefined };
}

/** A malformed percent-encoding is the client's error: 400, as Go's net/http answers an invalid URL escape. */
function decodedName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in the object name ${JSON.stringify(segment)}`);
  }
}

const timestamp = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

function option(q: URLSearchParams, name: string, allowed: readonly string[], fallback: string): string {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  if (!allowed.includes(v)) throw badRequest(`invalid ${name} ${JSON.stringify(v)}: supported values: ${allowed.join(', ')}`);
  return v;
}

const dryRunOf = (q: URLSearchParams) => q.getAll('dryRun').map((v) => {
  if (v !== 'All') throw badRequest(`Invalid dry run value: ${JSON.stringify(v)}: supported values: "All"`);
  return true;
}).length > 0;

/** kube's default manager name: the User-Agent up to its first "/" (fieldmanager prefixFromUserAgent). */
const managerOf = (q: URLSearchParams, req: IncomingMessage) => q.get('fieldManager') || (req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown';

/** Answers an API path; false when `path` is not one. Throws ApiError for the caller to write. */
export async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<boolean> {
  const q = url.searchParams;
  const pretty = q.get('pretty') === 'true' || q.get('pretty') === '1';
  const method = req.method ?? 'GET';
  const doc = discovery(url.pathname) ?? openApiV3(url.pathname);
  if (doc) {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
    sendJson(res, 200, doc, pretty);
    return true;
  }
  if (!/^\/(api|apis|openapi|version)(\/|$)/.test(url.pathname)) return false;
  const t = target(url.pathname);
  if (!t) throw notFoundPath();
  if (t.name === undefined) await collection(deps, req, res, t.r, q, pretty, method);
  else await item(deps, req, res, { ...t, name: t.name }, q, pretty, method);
  return true;
}

async function collection(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, r: Resource, q: URLSearchParams, pretty: boolean, method: string): Promise<void> {
  const select = (() => {
    const l = labelSelector(q.get('labelSelector'));
    const f = fieldSelector(q.get('fieldSelector'));
    return (o: KubeObject) => l(o) && f(o);
  })();
  if (method === 'GET' && (q.get('watch') === 'true' || q.get('watch') === '1')) {
    serveWatch(req, res, deps.store, r, {
      resourceVersion: q.get('resourceVersion'),
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      timeoutSeconds: q.get('timeoutSeconds'),
      filter: select,
      initial: () => deps.store.list(r),
      bookmarkIntervalMs: deps.bookmarkIntervalMs,
      pretty,
    });
    return;
  }
  if (method === 'GET') return sendJson(res, 200, listObjects(deps, r, q, select), pretty);
  if (method === 'POST') {
    const body = decodeBody(await readBody(req));
    const name = nameFor(body.value);
    const c = context(deps, req, r, name, q, body.duplicates);
    const result = await deps.writer.write(r, name, createBuild(c, withName(body.value, name)), dryRunOf(q));
    return sendJson(res, 201, result.object, pretty, c.warnings);
  }
  if (method === 'DELETE') {
    const dryRun = dryRunOf(q);
    const doomed = deps.store.list(r).filter((o) => select(o) && !deps.store.isFixed(r, o.metadata.name));
    const items: KubeObject[] = [];
    for (const o of doomed) {
      const c = context(deps, req, r, o.metadata.name, q, []);
      items.push((await deps.writer.write(r, o.metadata.name, deleteBuild(c, {}), dryRun)).object);
    }
    return sendJson(res, 200, { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata: { resourceVersion: String(deps.store.resourceVersion) }, items }, pretty);
  }
  throw methodNotAllowed(method);
}

const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';

/** metadata.name, or generateName plus five random characters (names.SimpleNameGenerator). */
function nameFor(body: Json): string {
  const meta = isObject(body) && isObject(body.metadata) ? body.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  if (typeof meta.generateName === 'string' && meta.generateName !== '') return meta.generateName + Array.from({ length: 5 }, () => SUFFIX[Math.floor(Math.random() * SUFFIX.length)]).join('');
  return '';
}

const withName = (body: Json, name: string): Json => (isObject(body) ? { ...body, metadata: { ...(isObject(body.metadata) ? body.metadata : {}), name } } : body);

function context(deps: RouterDeps, req: IncomingMessage, r: Resource, name: string, q: URLSearchParams, duplicates: readonly string[], status = false): WriteContext {
  return {
    r,
    name,
    manager: managerOf(q, req),
    validation: option(q, 'fieldValidation', ['Strict', 'Warn', 'Ignore'], 'Warn') as FieldValidation,
    duplicates,
    now: timestamp(deps.now()),
    ...(status ? { subresource: 'status' as const } : {}),
    warnings: [],
  };
}

async function item(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, t: Target & { name: string }, q: URLSearchParams, pretty: boolean, method: string): Promise<void> {
  const { r, name } = t;
  if (method === 'GET') {
    const found = deps.store.get(r, name);
    if (!found) throw notFound(r, name);
    return sendJson(res, 200, found, pretty);
  }
  const dryRun = dryRunOf(q);
  if (method === 'DELETE') {
    const text = await readBody(req);
    const options = text.trim() === '' ? {} : decodeBody(text).value;
    const pre = isObject(options) && isObject(options.preconditions) ? options.preconditions : {};
    const c = context(deps, req, r, name, q, []);
    const result = await deps.writer.write(r, name, deleteBuild(c, { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) }), dryRun);
    return sendJson(res, 200, result.object, pretty);
  }
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed(method);
  const body = decodeBody(await readBody(req));
  const c = context(deps, req, r, name, q, body.duplicates, t.status);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  if (method === 'PATCH' && contentType === APPLY && !q.get('fieldManager')) throw badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager parameter');
  const build = method === 'PUT' ? updateBuild(c, body.value) : patchBuild(c, contentType, body.value, q.get('force') === 'true');
  const result = await deps.writer.write(r, name, build, dryRun);
  sendJson(res, result.created ? 201 : 200, result.object, pretty, c.warnings);
}

