// The address filter at the socket level, over HTTP and HTTPS, for names and
// literals: a server on loopback that the filter does not let through must
// see no connection at all, whichever form its address takes.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { STRICT, type AddressPolicy } from '../../src/upstream/addresses.js';
import { AddressRefusedError, guardedConnector, type Resolve } from '../../src/upstream/connect-guard.js';

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

async function refusal(url: string, named: (host: string) => boolean = () => false, resolve?: Resolve, policy: AddressPolicy = STRICT): Promise<unknown> {
  agent = new Agent({ connect: guardedConnector({ timeout: 1000 }, named, policy, resolve) });
  return request(url, { dispatcher: agent }).then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** A resolver that answers every name with `address`. */
const answering =
  (address: string): Resolve =>
  (_name, _options, callback) =>
    queueMicrotask(() => callback(null, [{ address, family: 6 }]));

function expectRefused(err: unknown, message?: string): void {
  expect(err).toBeInstanceOf(Error);
  const cause = (err as { cause?: unknown }).cause ?? err;
  const refused = err instanceof AddressRefusedError ? err : cause;
  expect(refused).toBeInstanceOf(AddressRefusedError);
  if (message !== undefined) expect((refused as Error).message).toContain(message);
}

describe('guarded connector', () => {
  it.each([
    ['http://localhost:PORT/', '127.0.0.1'],
    ['https://localhost:PORT/', '127.0.0.1'],
    ['http://127.0.0.1:PORT/', '127.0.0.1'],
    ['https://127.0.0.1:PORT/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]:PORT/', '127.0.0.1'],
    ['http://[::1]:PORT/', '::1'],
    // IPv6 forms carrying 127.0.0.1; only the mapped one would reach the listener, the
    // others would fail on the network: the refusal must come before either.
    ['http://[::ffff:0:127.0.0.1]:PORT/', '127.0.0.1'],
    ['http://[64:ff9b::127.0.0.1]:PORT/', '127.0.0.1'],
    ['http://[64:ff9b:1::127.0.0.1]:PORT/', '127.0.0.1'],
    ['http://[2002:7f00:1::1]:PORT/', '127.0.0.1'],
    ['http://[2001:0:7f00:1::f7f7:f7f7]:PORT/', '127.0.0.1'],
    ['http://[::127.0.0.1]:PORT/', '127.0.0.1'],
  ])('refuses %s before any connection', async (template, address) => {
    const target = await listener(address);
    expectRefused(await refusal(template.replace('PORT', String(target.port))));
    expect(target.connections()).toBe(0);
  });

  // A name whose DNS answer is an IPv6 form carrying loopback: the check runs on the
  // answer inside the socket's own lookup (the resolver is the test's, the socket real).
  it.each([
    ['::ffff:127.0.0.1', 'loopback: 127.0.0.1 embedded as IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback: 127.0.0.1 embedded as IPv4-mapped'],
    ['::ffff:0:7f00:1', 'loopback: 127.0.0.1 embedded as IPv4-translated'],
    ['64:ff9b::7f00:1', 'loopback: 127.0.0.1 embedded as NAT64'],
    ['64:ff9b:1:7f00:1::', 'local-use NAT64'],
    ['2002:7f00:1::', 'loopback: 127.0.0.1 embedded as 6to4'],
    ['2001:0:7f00:1::f7f7:f7f7', 'Teredo (set upstream.allow_teredo to allow)'],
    ['::7f00:1', 'IPv4-compatible'],
  ])('refuses a name resolving to %s before any connection', async (answer, reason) => {
    const target = await listener('127.0.0.1');
    const err = await refusal(`http://registry.test:${target.port}/`, undefined, answering(answer));
    expectRefused(err, `registry.test resolves to ${answer} (${reason})`);
    expect(target.connections()).toBe(0);
  });

  it('with Teredo allowed, still refuses a Teredo answer whose server address is loopback', async () => {
    const target = await listener('127.0.0.1');
    const err = await refusal(`http://registry.test:${target.port}/`, undefined, answering('2001:0:7f00:1::f7f7:f7f7'), { allowTeredo: true });
    expectRefused(err, 'loopback: 127.0.0.1 embedded as Teredo');
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
