// Operator endpoints: /healthz (alive), /readyz (rules loaded, with the last
// reload's outcome), /metrics (Prometheus), /status (a small HTML page).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AppDeps } from './request-context.js';
import { failingAuthFiles } from './auth/file-state.js';
import { statusPage } from './status-page.js';
import { writeHead } from './answer-head.js';

const ADMIN_PATHS = ['/healthz', '/readyz', '/metrics', '/status'];

export const isAdminPath = (path: string): boolean => ADMIN_PATHS.includes(path);

/** Answers an admin path (isAdminPath). Without `details`, /readyz says only whether it is ready. */
export async function handleAdmin(deps: AppDeps, req: IncomingMessage, res: ServerResponse, path: string, details = true): Promise<void> {
  const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    writeHead(res, status, { ...extra, 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    writeHead(res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8', 'content-length': 19 });
    res.end('method not allowed\n');
  } else if (path === '/healthz') send(200, 'text/plain; charset=utf-8', 'ok\n');
  else if (path === '/readyz') {
    const { generation, lastReload, cluster } = deps.rulesState();
    const failing = await failingAuthFiles(deps.access);
    // Ready while some rules are in force; a failed reload is reported, the old rules still serve.
    // Not ready once shutting down, so load balancers stop sending while pulls in flight finish,
    // nor while a followed cluster has not been listed (its rules are not in force yet). A cluster
    // that stops answering later leaves the replica ready on the last rules read, and says so.
    // Not ready while a pull auth file fails to load (why: auth/file-state.ts).
    const reason = deps.draining()
      ? 'shutting down'
      : cluster && !cluster.inForce
        ? 'the rules have not been read from the cluster yet'
        : failing.some((f) => f.pulls)
          ? 'an auth file fails to load: its credentials are refused here'
          : undefined;
    const status = { ready: reason === undefined, ...(reason ? { reason } : {}) };
    const auth = failing.length > 0 ? { failingAuthFiles: failing.map(({ setting, problems }) => ({ setting, problems })) } : {};
    send(reason ? 503 : 200, 'application/json', JSON.stringify(details ? { ...status, rules: { generation, objects: deps.rules().objects.length, lastReload, ...(cluster ? { cluster } : {}) }, ...auth } : status));
  } else if (path === '/metrics') {
    // Auth files are re-read on use; a scrape is a use, so the gauge is current even without pulls.
    await failingAuthFiles(deps.access);
    send(200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics());
  }
  else {
    // Only the page's own script runs (by nonce), nothing loads from elsewhere: a second wall should escaping ever miss.
    const nonce = randomBytes(16).toString('base64');
    const query = (new URL(req.url ?? '/', 'http://client').searchParams.get('q') ?? '').slice(0, 200);
    const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
    send(200, 'text/html; charset=utf-8', statusPage(deps, query, nonce), { 'content-security-policy': csp, 'x-content-type-options': 'nosniff' });
  }
}
