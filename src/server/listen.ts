// Binds the handler to every configured address, over HTTPS when a
// certificate is configured, with limits on what a client may hold, and
// closes gracefully.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { limitConnections } from './connection-slots.js';
import type { Handler } from './guard.js';

export interface Listening {
  /** `http(s)://host:port` of each listener, ports resolved (port 0 picks a free one). */
  readonly urls: readonly string[];
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

const STREAM_BUFFER_BYTES = 1024 * 1024;

export interface ClientLimits {
  readonly headersTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * Receiving a whole request. Runs only until the request is in (a blob
 * answer may stream far longer, bounded by the send timeout and the pull
 * deadline); mirrorgate answers GET and HEAD and reads no bodies, so this
 * only bounds a body a client trickles after its headers.
 */
const REQUEST_TIMEOUT_MS = 60_000;

/** How often Node looks for connections past their header or request timeout (default 30 s): a cut comes at most this late. */
const checkEveryMs = (limits: ClientLimits) => Math.min(1_000, limits.headersTimeoutMs);

/**
 * Against clients that hold sockets (slowloris): a connection that has not
 * sent a request's headers within `headersTimeoutMs` gets 408 and is closed,
 * whether it sent part of them or nothing; at `maxConnections` open on a
 * listener, the connection idle longest gives way to a new one, which is
 * closed at once when none is idle (./connection-slots.ts). Without them
 * Node waits 60 s for headers, and connections are limited only by file
 * descriptors.
 */
function serverOptions(limits: ClientLimits) {
  return {
    // Large socket buffers keep blob copies streaming instead of stopping for a drain every 16 KiB.
    highWaterMark: STREAM_BUFFER_BYTES,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, limits.headersTimeoutMs),
    connectionsCheckingInterval: checkEveryMs(limits),
  };
}

export async function listen(addresses: readonly { host: string; port: number }[], tlsFiles: { certFile: string; keyFile: string } | undefined, limits: ClientLimits, handler: Handler): Promise<Listening> {
  const tls = tlsFiles && { cert: await readFile(tlsFiles.certFile), key: await readFile(tlsFiles.keyFile) };
  const servers: Server[] = [];
  const urls: string[] = [];
  let draining = false;
  // While draining, an answer closes its connection, and a socket whose response ended is closed.
  const tracked: Handler = (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      if (draining) setImmediate(() => servers.forEach((s) => s.closeIdleConnections()));
    });
    handler(req, res);
  };
  const close = (graceMs: number) => {
    draining = true;
    return Promise.all(servers.map((s) => closeServer(s, graceMs))).then(() => undefined);
  };
  try {
    for (const { host, port } of addresses) {
      const options = serverOptions(limits);
      const server = tls ? createHttpsServer({ ...tls, ...options }, tracked) : createHttpServer(options, tracked);
      limitConnections(server, limits.maxConnections);
      // Registry clients keep connections open between a pull's requests.
      server.keepAliveTimeout = 75_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      servers.push(server);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      urls.push(`${tls ? 'https' : 'http'}://${shownHost}:${address.port}`);
    }
  } catch (err) {
    await close(0);
    throw err;
  }
  return { urls, close: (graceMs = 0) => close(graceMs) };
}

/**
 * Graceful close, as fastify closes (`forceCloseConnections: 'idle'`): no new
 * connections, idle keep-alive sockets closed at once, the others as their
 * responses end, and whatever runs past the grace period is cut. Resolves
 * when every connection is gone.
 */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
