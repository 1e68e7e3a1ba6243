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
  /** The query parameter as sent. */
  readonly timeoutSeconds: string | null;
  readonly filter: (o: KubeObject) => boolean;
  /** Objects listed first when a watch starts at the current state (read-only objects of other sources included). */
  readonly initial: () => KubeObject[];
  readonly bookmarkIntervalMs: number;
  readonly pretty: boolean;
}

/** Watches end here at the latest, as kube-apiserver's --min-request-timeout bounds them. */
const MAX_WATCH_SECONDS = 1800;

/**
 * Unsent bytes a watcher may have queued before it is closed as too slow, as the watch cache
 * terminates a watcher whose buffer is full (cacher.go cacheWatcher.add): a client that stops
 * reading must not make the server buffer every later event for it. 1 MiB holds thousands of
 * ordinary events; the client re-watches from its last resourceVersion and misses nothing.
 */
const MAX_UNSENT_BYTES = 1024 * 1024;

/**
 * Open watches at most, all resources together: each may hold MAX_UNSENT_BYTES (plus one
 * event), so this bounds watch memory near 256 MiB. The watchers are kubectl and a few
 * controllers or followers, far fewer; one more is 429, which client-go retries.
 */
const MAX_WATCHES = 256;

/** timeoutSeconds is an integer count of seconds (metav1.ListOptions); anything else is 400, not a watch that ends at once. */
function timeoutOf(text: string | null): number {
  if (text === null || text === '') return MAX_WATCH_SECONDS;
  if (!/^[0-9]{1,9}$/.test(text)) throw badRequest(`invalid timeoutSeconds ${JSON.stringify(text)}: must be a non-negative integer`);
  // 0 is "unset", as for the API server (the watch then lasts its default time).
  return Math.min(Number(text) || MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ObjectStore, r: Resource, o: WatchOptions): void {
  const from = o.resourceVersion === null || o.resourceVersion === '' || o.resourceVersion === '0' ? undefined : Number(o.resourceVersion);
  if (from !== undefined && !Number.isInteger(from)) throw badRequest(`invalid resourceVersion ${JSON.stringify(o.resourceVersion)}`);
  const seconds = timeoutOf(o.timeoutSeconds);
  if (store.subscribers >= MAX_WATCHES) throw new ApiError(429, 'TooManyRequests', `too many watches are open (${MAX_WATCHES}); please try again later`);
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
  let stop = () => {};
  // The starting events (current objects or backlog) are owed in full, however large the store;
  // a watcher is too slow when it falls MAX_UNSENT_BYTES further behind than they left it.
  let allowance = Infinity;
  const line = (type: string, object: unknown) => {
    if (res.destroyed) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    // Too slow: dropped at once (not ended behind what is queued), so its buffer is freed now.
    if (res.writableLength > allowance) {
      stop();
      res.destroy();
    }
  };
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
  allowance = res.writableLength + MAX_UNSENT_BYTES;
  const bookmark = o.bookmarks ? setInterval(() => line('BOOKMARK', { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(Math.max(last, store.resourceVersion)) } }), o.bookmarkIntervalMs) : undefined;
  const timer = setTimeout(() => res.end(), seconds * 1000);
  stop = () => {
    unsubscribe();
    clearInterval(bookmark);
    clearTimeout(timer);
  };
  res.on('close', stop);
  req.on('close', stop);
}
