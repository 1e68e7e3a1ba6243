// ?watch=true: a stream of {"type","object"} JSON lines, as the API server
// writes them over HTTP/1.1 chunked encoding (apiserver
// endpoints/handlers/watch.go). From resourceVersion unset or "0" the
// current objects come first as ADDED; from a later version, the changes
// after it; from one older than the history, a 200 stream carrying one
// ERROR event with a 410 Expired Status, as the watch cache does, so
// client-go reflectors relist. BOOKMARK events carry only the version.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Resource, apiVersionOf } from './kinds.js';
import type { KubeObject } from './object.js';
import { ApiError, badRequest } from './status.js';
import type { Change, ObjectStore } from './store.js';

export interface WatchOptions {
  readonly resourceVersion: string | null;
  readonly bookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly filter: (o: KubeObject) => boolean;
  /** Objects listed first when a watch starts at the current state (read-only objects of other sources included). */
  readonly initial: () => KubeObject[];
  readonly bookmarkIntervalMs: number;
  readonly pretty: boolean;
}

/** Watches end here at the latest, as kube-apiserver's --min-request-timeout bounds them. */
const MAX_WATCH_SECONDS = 1800;

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ObjectStore, r: Resource, o: WatchOptions): void {
  const from = o.resourceVersion === null || o.resourceVersion === '' || o.resourceVersion === '0' ? undefined : Number(o.resourceVersion);
  if (from !== undefined && !Number.isInteger(from)) throw badRequest(`invalid resourceVersion ${JSON.stringify(o.resourceVersion)}`);
  let backlog: Change[] = [];
  let expiredError: ApiError | undefined;
  if (from !== undefined) {
    try {
      backlog = store.changesSince(r, from);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      expiredError = err;
    }
  }
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-store' });
  // Headers go out now, as the API server flushes them: clients wait for them before reading events.
  res.flushHeaders();
  const line = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
  if (expiredError) {
    line('ERROR', expiredError.body);
    res.end();
    return;
  }
  const emit = (c: Change) => {
    const visible = o.filter(c.object);
    const wasVisible = c.prev !== undefined && o.filter(c.prev);
    // A change that moves an object out of the selection is a DELETED for this watcher (watch filtering).
    if (visible) line(c.type === 'MODIFIED' && !wasVisible ? 'ADDED' : c.type, c.object);
    else if (wasVisible) line('DELETED', c.object);
  };
  let last = from ?? store.resourceVersion;
  const unsubscribe = store.subscribe((c) => {
    if (c.resource !== r) return;
    last = c.rv;
    emit(c);
  });
  if (from === undefined) for (const obj of o.initial().filter(o.filter)) line('ADDED', obj);
  for (const c of backlog) emit(c);
  if (backlog.length > 0) last = (backlog[backlog.length - 1] as Change).rv;
  const bookmark = o.bookmarks ? setInterval(() => line('BOOKMARK', { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(Math.max(last, store.resourceVersion)) } }), o.bookmarkIntervalMs) : undefined;
  const seconds = Math.min(o.timeoutSeconds ?? MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
  const timer = setTimeout(() => res.end(), seconds * 1000);
  const stop = () => {
    unsubscribe();
    clearInterval(bookmark);
    clearTimeout(timer);
  };
  res.on('close', stop);
  req.on('close', stop);
}
