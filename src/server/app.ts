// The request handler: route, dispatch, answer every error in the OCI
// envelope, log one line per request. Client disconnects abort upstream work.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { OciError } from '../core/oci/errors.js';
import { parseRoute, type Route } from '../core/oci/route.js';
import { blobs } from './handlers/blobs.js';
import { referrers, tags } from './handlers/discovery.js';
import { manifests } from './handlers/manifests.js';
import { API_VERSION, toOciError, writeError } from './respond.js';
import type { AppDeps, RequestContext } from './request-context.js';

const HANDLERS = { manifests, blobs, tags, referrers } as const;

export function createHandler(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const routeOptions = { defaultRegistry: deps.settings.defaultRegistry, aliases: deps.settings.aliases };
  return (req, res) => {
    const started = deps.pull.clock.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://client');
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const summary: RequestContext['summary'] = {};
    const records: RequestContext['records'] = [];
    const finish = (error?: OciError, cause?: unknown) => {
      const line = { reqId: randomUUID(), method, path: url.pathname, status: error?.status ?? res.statusCode, ms: deps.pull.clock.now() - started, ...summary, attempts: records };
      if (error?.code === 'UNKNOWN') deps.log.error({ ...line, err: cause }, 'request failed');
      else deps.log.info(line, 'request');
    };
    handle(deps, req, res, method, url, routeOptions, abort.signal, summary, records).then(
      () => finish(),
      (err: unknown) => {
        const error = toOciError(err);
        writeError(res, error, method);
        finish(error, err);
      },
    );
  };
}

async function handle(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
  routeOptions: Parameters<typeof parseRoute>[3],
  signal: AbortSignal,
  summary: RequestContext['summary'],
  records: RequestContext['records'],
): Promise<void> {
  const route: Route = parseRoute(method, url.pathname, url.searchParams, routeOptions);
  if (route.kind === 'ping') {
    const body = '{}';
    res.writeHead(200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (route.kind === 'unsupported') throw new OciError('UNSUPPORTED', route.reason, undefined, { allow: 'GET, HEAD' });
  await HANDLERS[route.kind]({ req, res, route, deps, signal, records, summary });
}
