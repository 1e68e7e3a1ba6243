// A server on 127.0.0.1:0 that keeps its sockets, so stopping it cuts every
// connection at once (keep-alive clients would otherwise hold close() open).
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Listening {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly sockets: ReadonlySet<Socket>;
  stop(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
