// The request handler: route, dispatch, answer every error in the OCI
// envelope, log one line per request. Client disconnects abort upstream work.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { OciError } from '../core/oci/errors.js';
import { parseRoute, type RouteOptions } from '../core/oci/route.js';
import { blobs } from './handlers/blobs.js';
import { referrers, tags } from './handlers/discovery.js';
import { manifests } from './handlers/manifests.js';
import { API_VERSION, toOciError, writeError } from './respond.js';
import type { AppDeps, RequestContext } from './request-context.js';

const HANDLERS = { manifests, blobs, tags, referrers } as const;

/** What a request is known by before it is routed. */
type Incoming = Omit<RequestContext, 'route'> & { readonly url: URL };

export function createHandler(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const routeOptions: RouteOptions = { defaultRegistry: deps.settings.defaultRegistry, aliases: deps.settings.aliases };
  return (req, res) => {
    const started = deps.pull.clock.now();
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const incoming: Incoming = { req, res, deps, url: new URL(req.url ?? '/', 'http://client'), signal: abort.signal, records: [], summary: {} };
    const method = req.method ?? 'GET';
    const finish = (error?: OciError, cause?: unknown) => {
      const line = { reqId: randomUUID(), method, path: incoming.url.pathname, status: error?.status ?? res.statusCode, ms: deps.pull.clock.now() - started, ...incoming.summary, attempts: incoming.records };
      if (error?.code === 'UNKNOWN') deps.log.error({ ...line, err: cause }, 'request failed');
      else deps.log.info(line, 'request');
    };
    handle(incoming, method, routeOptions).then(
      () => finish(),
      (err: unknown) => {
        const error = toOciError(err);
        writeError(res, error, method);
        finish(error, err);
      },
    );
  };
}

async function handle(incoming: Incoming, method: string, routeOptions: RouteOptions): Promise<void> {
  const route = parseRoute(method, incoming.url.pathname, incoming.url.searchParams, routeOptions);
  if (route.kind === 'ping') {
    const body = '{}';
    incoming.res.writeHead(200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': body.length });
    incoming.res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (route.kind === 'unsupported') throw new OciError('UNSUPPORTED', route.reason, undefined, { allow: 'GET, HEAD' });
  await HANDLERS[route.kind]({ ...incoming, route });
}
