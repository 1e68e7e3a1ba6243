// A registry that answers whatever a test scripts, byte for byte: the
// hostile mirror of the integrity and parsing tests. Paths not scripted get
// 404; every request is counted.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ScriptedAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

export interface HostileRegistry {
  /** host:port on 127.0.0.1. */
  readonly host: string;
  /** Answers by exact path (query excluded). */
  readonly answers: Map<string, ScriptedAnswer>;
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function hostileRegistry(): Promise<HostileRegistry> {
  const answers = new Map<string, ScriptedAnswer>();
  const requests: { method: string; path: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push({ method: req.method ?? 'GET', path });
    const answer = path === '/v2/' ? { body: '{}' } : answers.get(path);
    if (!answer) return void res.writeHead(404, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
    const body = Buffer.from(answer.body ?? '');
    res.writeHead(answer.status ?? 200, { 'content-length': String(body.length), ...answer.headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    answers,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
