// Binds the handler to every configured address, over HTTPS when a
// certificate is configured.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** `http(s)://host:port` of each listener, ports resolved (port 0 picks a free one). */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const STREAM_BUFFER_BYTES = 1024 * 1024;

export async function listen(addresses: readonly { host: string; port: number }[], tlsFiles: { certFile: string; keyFile: string } | undefined, handler: Handler): Promise<Listening> {
  const tls = tlsFiles && { cert: await readFile(tlsFiles.certFile), key: await readFile(tlsFiles.keyFile) };
  const servers: Server[] = [];
  const urls: string[] = [];
  try {
    for (const { host, port } of addresses) {
      // Large socket buffers keep blob copies streaming instead of stopping for a drain every 16 KiB.
      const options = { highWaterMark: STREAM_BUFFER_BYTES };
      const server = tls ? createHttpsServer({ ...tls, ...options }, handler) : createHttpServer(options, handler);
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
    await Promise.all(servers.map((s) => closeServer(s)));
    throw err;
  }
  return { urls, close: () => Promise.all(servers.map(closeServer)).then(() => undefined) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
