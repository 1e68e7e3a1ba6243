// (Red-team finding) clients that read a cached blob just fast enough to look alive to
// the send timeout (server/send-timeout.ts judges progress: any bytes taken
// within the timeout) hold their two send buffers for as long as their blob
// takes at that pace, bounded only by upstream.pull_deadline_ms (30 min by
// default). Enough of them (with the default 64 MiB budget: 2 shared pairs +
// 96 pairs of 256 KiB = 98 connections, each taking a few KiB/s) spend the
// whole budget (store/file-buffers.ts), and every other warm client waits in
// line after its 200 headers, first come first served, for up to the pull
// deadline: a denial of service of the warm path with ~100 connections.
// Required: an honest warm client is served while slow-but-alive readers hold
// the budget (e.g. it falls back to buffers of its own or the slow readers'
// share shrinks), not after they finish or are cut.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';

const MiB = 1024 * 1024;
const BUDGET = 2 * MiB; // four responses' own buffers
const SLOW = 4;
const SEND_TIMEOUT_MS = 6_000;
const TICK_MS = 1_200; // a read every timeout/5
// Enough per look for the kernel to wake the sender: Linux reopens a closed receive window only for 1/16 of the
// buffer, and marks the sending socket writable only once a third of its send buffer is free (~1.3 MiB on loopback),
// so progress shows in steps of about that (with the default 60 s timeout: a client taking ~25 KiB/s stays alive).
const TAKE_PER_TICK = 1024 * 1024;
const image = makeImage(73, [64 * MiB + 5]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let world: CachedProxy;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: SEND_TIMEOUT_MS }, cache: { blobs: { max_send_buffer_bytes: BUDGET } } });
  expect(sha((await world.proxy.get(path)).body)).toBe(layer.digest);
  await untilFillsEnded(world.proxy, 1);
}, 60_000);
afterAll(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.destroy();
  await world?.close();
});

/** Takes one socket read every TICK_MS and no more: alive for the send timeout, under 1 MiB/s. */
function slowAlive(): Promise<{ socket: Socket; got: () => number }> {
  const { hostname, port } = new URL(world.proxy.url);
  let got = 0;
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.on('error', () => {});
  sockets.push(socket);
  let thisTick = 0;
  socket.on('data', (d: Buffer) => {
    got += d.length;
    thisTick += d.length;
    // Enough per look to open the TCP window (a read of a few bytes never moves the sender).
    if (thisTick >= TAKE_PER_TICK) socket.pause();
  });
  timers.push(
    setInterval(() => {
      thisTick = 0;
      socket.resume();
    }, TICK_MS),
  );
  return new Promise((resolve) => socket.once('data', () => resolve({ socket, got: () => got })));
}

const within = <T>(ms: number, p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(what)), ms).unref())]);

it('slow-but-alive readers holding the send-buffer budget do not starve an honest warm client', async () => {
  const slow = await Promise.all(Array.from({ length: SLOW }, slowAlive));
  await new Promise((r) => setTimeout(r, 1_000));
  const held = world.proxy.proxy.sendBuffers.bytes;
  const honest = await within(20_000, world.proxy.get(path), `an honest warm client starved for 20 s behind ${SLOW} alive slow readers holding ${held} of ${BUDGET} bytes`);
  const stillHeld = world.proxy.proxy.sendBuffers.bytes;
  expect(sha(honest.body)).toBe(layer.digest);
  // They were alive and unfinished all along: it was not their end (or a cut) that let the honest client through.
  expect(held).toBe(BUDGET);
  expect(stillHeld).toBe(BUDGET);
  for (const s of slow) expect(s.got()).toBeLessThan(layer.content.length);
}, 60_000);
