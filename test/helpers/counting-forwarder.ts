// An HTTP forwarder on 127.0.0.1:0 that counts every request it receives and
// passes it on to a real registry: put in front of a source that must not be
// contacted, it tells a test whether anyone (mirrorgate or a client falling
// back on its own) reached it.
import { createServer, request, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingForwarder {
  /** host:port to name in rules and client configuration. */
  readonly host: string;
  /**
   * Every request received, as "METHOD path", oldest first, and a "connection"
   * entry for each TCP connection: a client speaking TLS to this plain-HTTP
   * port never makes a request, but it did try to contact the source.
   */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Passes a request on to `target` (host:port) and its answer back. */
export function forwardTo(target: string): (req: IncomingMessage, res: ServerResponse) => void {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  return (req, res) => {
    const upstream = request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers, timeout: 30_000 }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('forwarder timeout')));
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
}

export async function countingForwarder(target: string): Promise<CountingForwarder> {
  const forward = forwardTo(target);
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    forward(req, res);
  });
  server.on('connection', () => seen.push('connection'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
