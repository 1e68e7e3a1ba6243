// The address filter at the socket level, over HTTP and HTTPS, for names and
// literals: a server on loopback that the filter does not let through must
// see no connection at all, whichever form its address takes.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { AddressRefusedError, guardedConnector } from '../../src/upstream/connect-guard.js';

let server: Server | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = agent = undefined;
});

/** A listener that only counts connections. */
async function listener(address: string): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server?.listen(0, address, resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function refusal(url: string, named: (host: string) => boolean = () => false): Promise<unknown> {
  agent = new Agent({ connect: guardedConnector({ timeout: 1000 }, named) });
  return request(url, { dispatcher: agent }).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('guarded connector', () => {
  it.each([
    ['http://localhost:PORT/', '127.0.0.1'],
    ['https://localhost:PORT/', '127.0.0.1'],
    ['http://127.0.0.1:PORT/', '127.0.0.1'],
    ['https://127.0.0.1:PORT/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]:PORT/', '127.0.0.1'],
    ['http://[::1]:PORT/', '::1'],
  ])('refuses %s before any connection', async (template, address) => {
    const target = await listener(address);
    const err = await refusal(template.replace('PORT', String(target.port)));
    expect(err).toBeInstanceOf(Error);
    const cause = (err as { cause?: unknown }).cause ?? err;
    expect(err instanceof AddressRefusedError || cause instanceof AddressRefusedError).toBe(true);
    expect(target.connections()).toBe(0);
  });

  it('lets a named host:port through, and only that port', async () => {
    const target = await listener('127.0.0.1');
    await refusal(`http://127.0.0.1:${target.port}/`, (host) => host === `127.0.0.1:${target.port}`);
    expect(target.connections()).toBe(1);
    await agent?.close();
    const other = await refusal(`http://127.0.0.1:${target.port}/`, (host) => host === '127.0.0.1:1');
    expect(other).toBeInstanceOf(Error);
    expect(target.connections()).toBe(1);
  });
});
