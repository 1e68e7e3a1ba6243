// A Kubernetes API server for the list/watch protocol only, over TLS on
// 127.0.0.1:0, to test a follower against the faults a real one shows: it
// goes away and comes back on the same port, and it forgets old events, so
// a watch from a too-old resourceVersion gets an ERROR event with a 410
// Status and is closed, as the apiserver's watch cache does (apiserver
// pkg/storage/cacher: errors.NewResourceExpired "too old resource version").
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPki } from '../helpers/tls.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; resourceVersion?: string }; [k: string]: unknown };
interface Event {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

export interface FakeKubeApi {
  readonly url: string;
  /** A kubeconfig file for this server, trusting its CA, with a bearer token. */
  readonly kubeconfig: string;
  /** Every request: path and query, in order. */
  readonly requests: string[];
  /** Creates or replaces an object at its collection path (e.g. /apis/config.openshift.io/v1/imagedigestmirrorsets). */
  put(collection: string, object: Obj): void;
  remove(collection: string, name: string): void;
  /** Forgets every event so far: a watch from an older resourceVersion gets 410. */
  compact(): void;
  /** Stops answering: open watches are cut, new connections refused. */
  down(): Promise<void>;
  /** Answers again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** `served` lists the collection paths this server has; others answer 404 (no such CRD). */
export async function fakeKubeApi(pki: TestPki, served: readonly string[], token = 'follower-token'): Promise<FakeKubeApi> {
  const objects = new Map<string, Map<string, Obj>>(served.map((c) => [c, new Map()]));
  const events = new Map<string, Event[]>(served.map((c) => [c, []]));
  let rv = 100;
  let oldest = 0;
  const watchers = new Set<{ collection: string; res: ServerResponse }>();
  const sockets = new Set<Socket>();
  const requests: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://x');
    requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized');
    const store = objects.get(url.pathname);
    if (!store) return status(res, 404, 'NotFound');
    if (url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(rv) }, items: [...store.values()] }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const from = Number(url.searchParams.get('resourceVersion') ?? rv);
    if (from < oldest) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${oldest})` } })}\n`);
      return;
    }
    for (const e of events.get(url.pathname) ?? []) if (e.rv > from) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const watcher = { collection: url.pathname, res };
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
  };

  const emit = (collection: string, type: Event['type'], object: Obj) => {
    const event = { rv, type, object };
    events.get(collection)?.push(event);
    for (const w of watchers) if (w.collection === collection) w.res.write(`${JSON.stringify(event)}\n`);
  };

  let server: Server = createServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, handle);
  const track = (s: Server) => s.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(pki.dir, `kubeconfig-${port}`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: fake, cluster: {server: "${url}", certificate-authority: "${join(pki.dir, 'ca.crt')}"}}]\n` +
      `users: [{name: follower, user: {token: ${token}}}]\ncontexts: [{name: fake, context: {cluster: fake, user: follower}}]\ncurrent-context: fake\n`,
  );
  let running = true;
  const close = async () => {
    if (!running) return;
    running = false;
    for (const w of watchers) w.res.destroy();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url,
    kubeconfig,
    requests,
    put(collection, object) {
      const store = objects.get(collection) as Map<string, Obj>;
      const type = store.has(object.metadata.name) ? 'MODIFIED' : 'ADDED';
      rv++;
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
      store.set(object.metadata.name, stored);
      emit(collection, type, stored);
    },
    remove(collection, name) {
      const store = objects.get(collection) as Map<string, Obj>;
      const object = store.get(name);
      if (!object) return;
      store.delete(name);
      rv++;
      emit(collection, 'DELETED', { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } });
    },
    compact() {
      oldest = rv;
      for (const list of events.values()) list.length = 0;
    },
    down: close,
    async up() {
      server = createServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, handle);
      track(server);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      running = true;
    },
    stop: close,
  };
}

function status(res: ServerResponse, code: number, reason: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }));
}
