// The request handler, and the one wrapper every request goes through: an id
// at arrival (echoed as X-Request-Id, bound to a child logger the handlers
// reach as ctx.log), the in-flight gauge, then admin paths or route and
// dispatch; every error is answered in the OCI envelope; at the end one
// access line and the metrics. Client disconnects abort upstream work.
// Nothing a request does may leave a rejected promise behind (it would end
// the process): whatever escapes the wrapper is answered once and logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OciError } from '../core/oci/errors.js';
import type { RouteOptions } from '../core/oci/route.js';
import { HostMemo } from './host-memo.js';
import { RouteMemo } from './route-memo.js';
import { handleAdmin, isAdminPath } from './admin.js';
import { authorize } from './auth/access.js';
import { blobs } from './handlers/blobs.js';
import { referrers, tags } from './handlers/discovery.js';
import { manifests } from './handlers/manifests.js';
import { accessLine, MAX_USER_AGENT } from './access-line.js';
import { observe, type Finished } from './observe.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';
import { type Incoming, RequestLifetime, RoutedRequest } from './request-lifetime.js';
import { type LineWriter, safeLineWriter } from '../observability/logger.js';
import { guard, type Handler, type RequestTarget, requestUrl } from './guard.js';
import { API_VERSION, toOciError, writeError } from './respond.js';
import { cutForSendTimeout } from './send-timeout.js';
import type { AppDeps, RequestContext } from './request-context.js';
import { declaredLength, tagAnswer, writeHead } from './answer-head.js';

const HANDLERS = { manifests, blobs, tags, referrers } as const;

/**
 * Request targets are client-chosen: the most of a path an access line
 * keeps, for every target. Above any real image's path (a host with its port,
 * a 255-character name, a sha512 digest), so those are never cut.
 */
const MAX_LOGGED_PATH = 1024;

const routeOptionsOf = (deps: AppDeps): RouteOptions => ({ defaultRegistry: deps.settings.defaultRegistry, aliases: deps.settings.aliases, knownHosts: new HostMemo() });

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
  const routes = new RouteMemo(routeOptionsOf(deps));
  const access = safeLineWriter(deps.log);
  return guard(deps.log, (req, res) => serve(deps, req, res, routes, serves, access));
}

async function serve(deps: AppDeps, req: IncomingMessage, res: ServerResponse, routes: RouteMemo, serves: Serves, access: LineWriter): Promise<void> {
  const started = deps.pull.clock.now();
  const reqId = requestId(req.headers[REQUEST_ID_HEADER]);
  tagAnswer(res, reqId);
  const lifetime = new RequestLifetime(deps, res, reqId, started);
  const method = req.method ?? 'GET';
  const incoming: Incoming = { req, res, deps, reqId, records: [], summary: {} };
  const url = requestUrl(req.url);
  let error: OciError | undefined;
  let cause: unknown;
  // The gauge is taken last, right before the try whose finally gives it back (with the deadline timer,
  // made only inside the try, by the first use of the signal): a throw above reaches the guard's 500
  // without leaving either held.
  deps.metrics.inFlight.inc();
  try {
    if (url === undefined) refuseTarget(res, method);
    else {
      // Awaited only when a credential is checked: a turn of the microtask queue less per open request.
      const pending = authorize(deps.access, req, url.pathname);
      const granted = pending instanceof Promise ? await pending : pending;
      if (serves !== 'api' && isAdminPath(url.pathname)) {
        await handleAdmin(deps, req, res, url.pathname, granted.adminDetails);
        incoming.summary.route = 'admin';
      } else if (serves === 'admin') {
        incoming.summary.route = 'admin';
        writeHead(res, 404, { 'content-length': 0 }).end();
      } else await dispatch(incoming, lifetime, method, url, routes);
    }
  } catch (err) {
    // The one place that decides what a failed request answers: when its own signal stopped it, that reason
    // (past its deadline: 504, whatever error the abort surfaced as; its client gone: nothing, and no failure).
    const stopped = lifetime.stopped;
    if (stopped === 'client') res.destroy();
    else {
      error = stopped ?? toOciError(err);
      cause = err;
      writeError(res, error, method);
    }
  } finally {
    lifetime.end();
    deps.metrics.inFlight.dec();
  }
  const path = loggedPath(url?.pathname ?? targetPath(req.url));
  // A client that left: the status is what was sent (0: none), and the line says it left; never a 5xx of ours.
  const left = lifetime.stopped === 'client';
  const done = finished(incoming, method, path, error?.status ?? (left && !res.headersSent ? 0 : res.statusCode), (deps.pull.clock.now() - started) / 1000);
  // An unexpected failure logs its error object, which may hold anything: through the redacting logger.
  if (error?.code === 'UNKNOWN') deps.log.error({ ...accessLine(done), err: cause }, 'request failed');
  else if (left) access('info', { ...accessLine(done), clientLeft: true }, 'request');
  else if (incoming.summary.route === 'admin') access('debug', accessLine(done), 'request');
  else access('info', accessLine(done), 'request');
  observe(deps, done);
}

/** What the access line keeps of a target that is not a URL: its path part; never its query or fragment, where a client may carry a token. */
function targetPath(target = ''): string {
  return target.split(/[?#]/, 1)[0] ?? '';
}

/** A path cut to MAX_LOGGED_PATH says so, and how long it was. */
function loggedPath(path: string): string {
  return path.length <= MAX_LOGGED_PATH ? path : `${path.slice(0, MAX_LOGGED_PATH)}…[cut at ${MAX_LOGGED_PATH} of ${path.length} chars]`;
}

/**
 * A target that is not a URL names no route, so no registry client sent it:
 * answered as Node answers the requests its own parser rejects (a bare 400
 * that closes the connection), not in a route's OCI envelope.
 */
function refuseTarget(res: ServerResponse, method: string): void {
  const body = 'malformed request target\n';
  writeHead(res, 400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, connection: 'close' });
  res.end(method === 'HEAD' ? undefined : body);
}

function finished(incoming: Incoming, method: string, path: string, code: number, seconds: number): Finished {
  const { req, res, summary } = incoming;
  // Handlers that stream count their body; other answers (errors, admin) declare it.
  const declared = method === 'HEAD' ? 0 : declaredLength(res);
  return {
    reqId: incoming.reqId,
    method,
    path,
    code,
    seconds,
    bytes: summary.bytes ?? declared,
    client: req.socket.remoteAddress ?? '',
    userAgent: (req.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT),
    summary,
    records: incoming.records,
    sendTimedOut: cutForSendTimeout(res),
  };
}

async function dispatch(incoming: Incoming, lifetime: RequestLifetime, method: string, url: RequestTarget, routes: RouteMemo): Promise<void> {
  const route = routes.route(method, url.pathname, url.searchParams);
  incoming.summary.route = route.kind;
  if (route.kind === 'ping') {
    const body = '{}';
    writeHead(incoming.res, 200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': body.length });
    incoming.res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (route.kind === 'unsupported') throw new OciError('UNSUPPORTED', route.reason, undefined, { allow: 'GET, HEAD' });
  await HANDLERS[route.kind](new RoutedRequest(incoming, route, lifetime));
}
