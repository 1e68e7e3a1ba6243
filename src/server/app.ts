// The request handler, and the one wrapper every request goes through: an id
// at arrival (echoed as X-Request-Id, bound to a child logger the handlers
// reach as ctx.log), the in-flight gauge, then admin paths or route and
// dispatch; every error is answered in the OCI envelope; at the end one
// access line and the metrics. Client disconnects abort upstream work.
// Nothing a request does may leave a rejected promise behind (it would end
// the process): whatever escapes the wrapper is answered once and logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OciError } from '../core/oci/errors.js';
import { parseRoute, type RouteOptions } from '../core/oci/route.js';
import { handleAdmin } from './admin.js';
import { authorize } from './auth/access.js';
import { blobs } from './handlers/blobs.js';
import { referrers, tags } from './handlers/discovery.js';
import { manifests } from './handlers/manifests.js';
import { accessLine, MAX_USER_AGENT } from './access-line.js';
import { observe, type Finished } from './observe.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import { guard, type Handler, requestUrl } from './guard.js';
import { API_VERSION, toOciError, writeError } from './respond.js';
import type { AppDeps, RequestContext } from './request-context.js';

const HANDLERS = { manifests, blobs, tags, referrers } as const;

/** What a request is known by before it is routed. */
type Incoming = Omit<RequestContext, 'route'>;

/** Request targets are client-chosen: what an access line keeps of one that is not a URL. */
const MAX_LOGGED_TARGET = 256;

const routeOptionsOf = (deps: AppDeps): RouteOptions => ({ defaultRegistry: deps.settings.defaultRegistry, aliases: deps.settings.aliases });

/** Which paths a listener answers: the registry API and the admin paths, or one of them. */
type Serves = 'all' | 'api' | 'admin';

/** The registry API handler; with `withAdmin`, it also answers /metrics, /healthz, /readyz, /status. */
export function createHandler(deps: AppDeps, withAdmin = true): Handler {
  return guarded(deps, withAdmin ? 'all' : 'api');
}

/** The handler of a separate admin listener: admin paths only, through the same wrapper (id, access line, metrics). */
export function createAdminHandler(deps: AppDeps): Handler {
  return guarded(deps, 'admin');
}

/** The one entry of every listener; what escapes the wrapper itself is answered by the guard. */
function guarded(deps: AppDeps, serves: Serves): Handler {
  const routeOptions = routeOptionsOf(deps);
  return guard(deps.log, (req, res) => serve(deps, req, res, routeOptions, serves));
}

async function serve(deps: AppDeps, req: IncomingMessage, res: ServerResponse, routeOptions: RouteOptions, serves: Serves): Promise<void> {
  const started = deps.pull.clock.now();
  const reqId = requestId(req.headers[REQUEST_ID_HEADER]);
  res.setHeader(REQUEST_ID_HEADER, reqId);
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const method = req.method ?? 'GET';
  const log = deps.log.child({ reqId });
  const incoming: Incoming = { req, res, deps, reqId, log, signal: abort.signal, records: [], summary: {} };
  const url = requestUrl(req.url);
  let error: OciError | undefined;
  let cause: unknown;
  // The deadline timer and the gauge are taken last, right before the try whose finally gives them
  // back: a throw above them reaches the guard's 500 without leaving either held.
  // Every pull has an end: past the deadline its upstream work is aborted and the client gets 504.
  const cancelDeadline = deps.pull.timers.after(deps.settings.dataPath.pullDeadlineMs, () => abort.abort(new OciError('GATEWAY_TIMEOUT', 'the pull took longer than upstream.pull_deadline_ms')));
  deps.metrics.inFlight.inc();
  try {
    if (url === undefined) refuseTarget(res, method);
    else {
      const granted = await authorize(deps.access, req, url.pathname);
      if (serves !== 'api' && (await handleAdmin(deps, req, res, url.pathname, granted.adminDetails))) incoming.summary.route = 'admin';
      else if (serves === 'admin') {
        incoming.summary.route = 'admin';
        res.writeHead(404, { 'content-length': 0 }).end();
      } else await dispatch(incoming, method, url, routeOptions);
    }
  } catch (err) {
    error = toOciError(err);
    cause = err;
    writeError(res, error, method);
  } finally {
    cancelDeadline();
    deps.metrics.inFlight.dec();
  }
  const path = url?.pathname ?? (req.url ?? '').slice(0, MAX_LOGGED_TARGET);
  const done = finished(incoming, method, path, error?.status ?? res.statusCode, (deps.pull.clock.now() - started) / 1000);
  const line = accessLine(done);
  if (error?.code === 'UNKNOWN') log.error({ ...line, err: cause }, 'request failed');
  else if (incoming.summary.route === 'admin') log.debug(line, 'request');
  else log.info(line, 'request');
  observe(deps, done);
}

/**
 * A target that is not a URL names no route, so no registry client sent it:
 * answered as Node answers the requests its own parser rejects (a bare 400
 * that closes the connection), not in a route's OCI envelope.
 */
function refuseTarget(res: ServerResponse, method: string): void {
  const body = 'malformed request target\n';
  res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, connection: 'close' });
  res.end(method === 'HEAD' ? undefined : body);
}

function finished(incoming: Incoming, method: string, path: string, code: number, seconds: number): Finished {
  const { req, res, summary } = incoming;
  // Handlers that stream count their body; other answers (errors, admin) declare it. getHeader sees
  // writeHead's headers because the X-Request-Id set with setHeader makes Node keep them all.
  const declared = method === 'HEAD' ? 0 : Number(res.getHeader('content-length') ?? 0);
  return {
    reqId: incoming.reqId,
    method,
    path,
    code,
    seconds,
    bytes: summary.bytes ?? (Number.isFinite(declared) ? declared : 0),
    client: req.socket.remoteAddress ?? '',
    userAgent: (req.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT),
    summary,
    records: incoming.records,
  };
}

async function dispatch(incoming: Incoming, method: string, url: URL, routeOptions: RouteOptions): Promise<void> {
  const route = parseRoute(method, url.pathname, url.searchParams, routeOptions);
  incoming.summary.route = route.kind;
  if (route.kind === 'ping') {
    const body = '{}';
    incoming.res.writeHead(200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': body.length });
    incoming.res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (route.kind === 'unsupported') throw new OciError('UNSUPPORTED', route.reason, undefined, { allow: 'GET, HEAD' });
  await HANDLERS[route.kind]({ ...incoming, route });
}
