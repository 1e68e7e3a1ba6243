// The send timeout judges progress (server/send-timeout.ts, socket-progress.ts),
// over a real loopback socket with a clock the test moves: a client that
// takes nothing of a large write is cut once a whole timeout passed without a
// byte taken, never before; a client that takes a large write slowly, over
// many timeouts, is never cut. (The writes are larger than the kernel's
// socket buffers absorb on both sides: a client that reads lets its receive
// buffer grow, here up to 32 MiB.)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { advanced, markOf } from '../../src/server/socket-progress.js';
import { writeFlushedWithin } from '../../src/server/send-timeout.js';
import { manualTimers } from '../helpers/manual-timers.js';

const MiB = 1024 * 1024;
const MS = 1000;

let server: Server | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** A response begun to a client that reads nothing until told (`take`); `received` counts what it read. */
async function begun(size: number): Promise<{ res: ServerResponse; client: Socket; received: () => number; take: (bytes: number) => Promise<void> }> {
  let answer!: (res: ServerResponse) => void;
  const res = new Promise<ServerResponse>((r) => (answer = r));
  server = createServer((_req: IncomingMessage, r: ServerResponse) => {
    r.writeHead(200, { 'content-length': size });
    answer(r);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  let got = 0;
  let quota = 0;
  const c = connect(port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
  client = c;
  c.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= quota) c.pause();
  });
  c.on('error', () => {});
  c.pause();
  const take = async (bytes: number) => {
    quota = got + bytes;
    c.resume();
    await vi.waitFor(() => expect(got).toBeGreaterThanOrEqual(quota), { timeout: 5_000, interval: 1 });
  };
  return { res: await res, client: c, received: () => got, take };
}

/** The client reads on freely. */
function quotaless(c: Socket): void {
  c.removeAllListeners('data');
  c.resume();
}

/** Moves the test's clock by `ms`, then lets the loop poll (the send timeout judges after the poll). */
async function pass(clock: ReturnType<typeof manualTimers>, ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Follows a promise's outcome without awaiting it. */
function outcome(p: Promise<void>) {
  const seen: { value?: 'written' | Error } = {};
  p.then(() => (seen.value = 'written'), (e: Error) => (seen.value = e));
  return seen;
}

it('a client that takes nothing is cut once a whole timeout passed without a byte taken, not before', async () => {
  const { res } = await begun(16 * MiB);
  const clock = manualTimers();
  const seen = outcome(writeFlushedWithin(res, Buffer.alloc(16 * MiB, 1), { ms: MS, timers: clock.timers }));
  for (let step = 0; step < 40 && seen.value === undefined; step++) {
    await pass(clock, MS / 4);
    if (clock.elapsed() < MS) expect(seen.value).toBeUndefined();
  }
  expect(seen.value).toMatchObject({ kind: 'aborted', message: expect.stringMatching(/accepted no bytes/) });
  expect(res.destroyed).toBe(true);
  expect(clock.elapsed()).toBeGreaterThanOrEqual(MS);
});

it('a client that takes a large write slowly, over many timeouts, is never cut', async () => {
  const size = 80 * MiB;
  const { res, client: c, received, take } = await begun(size);
  const clock = manualTimers();
  const seen = outcome(writeFlushedWithin(res, Buffer.alloc(size, 1), { ms: MS, timers: clock.timers }));
  for (let step = 0; step < 400 && seen.value === undefined; step++) {
    // The client reads a little at a time until the server sees some of the write taken; then half a timeout passes.
    const before = markOf(res.socket);
    await vi.waitFor(
      async () => {
        await take(256 * 1024);
        expect(advanced(before, markOf(res.socket))).toBe(true);
      },
      { timeout: 10_000, interval: 5 },
    );
    await pass(clock, MS / 2);
    expect(seen.value).not.toBeInstanceOf(Error);
  }
  quotaless(c);
  await vi.waitFor(() => expect(seen.value).toBe('written'), { timeout: 10_000, interval: 10 });
  // The write took many timeouts' worth of the test's clock, and the client every byte.
  expect(clock.elapsed()).toBeGreaterThan(4 * MS);
  expect(received()).toBeGreaterThan(size / 2);
}, 60_000);
