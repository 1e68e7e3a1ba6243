// Hostile upstreams for the trust tests: small servers on loopback (port 0)
// that record every request they get, so a test can assert that an internal
// service received nothing, or which headers a redirect target saw.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** `https` or `http`: how the request arrived. */
  readonly scheme: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, self: HostileServer) => void;

export interface HostileServer {
  /** host:port as a URL writes it (`[::1]:port` for IPv6). */
  readonly host: string;
  readonly requests: Seen[];
  /** TCP connections accepted, TLS attempts on a plain server included. */
  readonly connections: number;
  stop(): Promise<void>;
}

export interface ServeOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Listen on this address (default 127.0.0.1). */
  readonly address?: '127.0.0.1' | '::1';
  /** Answer both TLS and plain HTTP on the one port (the first byte decides), for https -> http of the same host:port. */
  readonly dual?: boolean;
}

/** A server that records each request, then lets `handler` answer it. */
export async function hostileServer(handler: Handler, options: ServeOptions = {}): Promise<HostileServer> {
  const requests: Seen[] = [];
  const sockets = new Set<Socket>();
  const self = { requests, connections: 0 } as { host: string; requests: Seen[]; connections: number; stop: () => Promise<void> };
  const on = (scheme: string) => (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, scheme });
    handler(req, res, self);
  };
  const tls = options.tls && createTlsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, on('https'));
  const plain = createServer(on('http'));
  let front: Server | ReturnType<typeof createNetServer>;
  if (options.dual && tls) {
    front = createNetServer((socket) => {
      socket.once('data', (first: Buffer) => {
        // 0x16: a TLS handshake record. The servers read through a JS stream, so the peeked byte is not lost.
        (first[0] === 0x16 ? tls : plain).emit('connection', throughJs(socket, first));
      });
    });
  } else {
    front = tls ?? plain;
  }
  front.on('connection', (s: Socket) => {
    self.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => front.listen(0, address, resolve));
  const port = (front.address() as AddressInfo).port;
  self.host = address === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`;
  self.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  };
  return self;
}

/** `socket` as a plain JS duplex, starting with `first` (a native socket would skip what was already read). */
function throughJs(socket: Socket, first: Buffer): Duplex {
  const wrapped = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, done) => void socket.write(chunk, done),
    final: (done) => void socket.end(done),
    destroy: (err, done) => (socket.destroy(err ?? undefined), done(err)),
  });
  wrapped.push(first);
  socket.on('data', (d: Buffer) => void (wrapped.push(d) || socket.pause()));
  socket.on('end', () => wrapped.push(null));
  socket.on('close', () => wrapped.destroy());
  return wrapped;
}

/** An internal service: answers everything with a secret, so a leak shows in the client's body. */
export const INTERNAL_SECRET = 'internal-metadata-secret-7f3a';
export const internalService = (options: ServeOptions = {}) =>
  hostileServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(INTERNAL_SECRET), options);

/** A registry that redirects every /v2/ request except the ping to `location(path)`. */
export const redirectingRegistry = (location: (path: string) => string, options: ServeOptions = {}) =>
  hostileServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(307, { location: location(req.url ?? '/') }).end();
  }, options);

/** A registry that asks for a Bearer token from `realm` on every request. */
export const challengingRegistry = (realm: () => string, options: ServeOptions = {}) =>
  hostileServer((_req, res) => {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm()}",service="hostile"`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"token please"}]}');
  }, options);

/** Every Authorization header `server` received. */
export const authorizations = (server: HostileServer): string[] => server.requests.flatMap((r) => (r.headers.authorization ? [r.headers.authorization] : []));
