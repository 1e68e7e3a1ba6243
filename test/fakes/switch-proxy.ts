// A TCP front for a registry whose behaviour can be switched while clients
// use it: `pass` forwards bytes, `killed` closes the listener and every
// connection (connections are then refused), `hang` accepts and forwards
// nothing more, also on connections already open (bodies stop mid-way).
// It listens on one port for its whole life, so the proxy under test keeps
// the same endpoint across the switches.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type SwitchMode = 'pass' | 'killed' | 'hang';

export interface SwitchProxy {
  readonly host: string;
  readonly mode: () => SwitchMode;
  /** Connections accepted in `hang` mode and never answered. */
  readonly hung: () => number;
  set(mode: SwitchMode): Promise<void>;
  stop(): Promise<void>;
}

export async function switchProxy(target: string): Promise<SwitchProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let mode: SwitchMode = 'pass';
  let hung = 0;
  let server: Server | undefined;
  let port = 0;

  const onConnection = (client: Socket) => {
    client.on('error', () => {});
    if (mode === 'hang') {
      hung++;
      return void pairs.add({ client, upstream: client });
    }
    const upstream = connect(Number(targetPort), targetHost);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
  };
  const listen = async () => {
    server = createServer(onConnection);
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const close = async () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    host: `127.0.0.1:${port}`,
    mode: () => mode,
    hung: () => hung,
    set: async (next) => {
      const previous = mode;
      mode = next;
      if (next === 'killed') return close();
      if (previous === 'killed') await listen();
      // Hanging freezes what is already flowing: nothing more reaches the clients.
      if (next === 'hang') for (const { upstream } of pairs) upstream.unpipe();
    },
    stop: close,
  };
}
