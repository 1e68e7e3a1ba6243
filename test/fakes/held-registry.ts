// A forwarder on 127.0.0.1:0 in front of a real (fake) registry that holds
// every request whose path contains `fragment` until the test releases them:
// an endpoint whose answer is "still under way" for exactly as long as a test
// needs, without timing anything.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo } from '../helpers/counting-forwarder.js';

export interface HeldRegistry {
  /** host:port to name in rules. */
  readonly host: string;
  /** Resolves once a request to hold has arrived. */
  readonly arrived: Promise<void>;
  /** Lets the held requests (and any later ones) through. */
  release(): void;
  close(): Promise<void>;
}

export async function heldRegistry(target: string, fragment: string): Promise<HeldRegistry> {
  const forward = forwardTo(target);
  let held: (() => void)[] | undefined = [];
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server: Server = createServer((req, res) => {
    if (!held || !(req.url ?? '').includes(fragment)) return forward(req, res);
    held.push(() => forward(req, res));
    arrive();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    arrived,
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
