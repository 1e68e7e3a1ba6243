// The warm path's send-buffer budget (store/file-buffers.ts) under clients
// that leave at every moment: before the headers, while stuck readers hold the
// whole budget, mid-write, on Range, HEAD, a zero-length blob, and pipelined
// requests cut with their connection. Every lent byte comes back (the gauge
// returns to 0) and a fresh client is served whole afterwards.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';
import { stuckReader } from '../helpers/stuck-reader.js';

const MiB = 1024 * 1024;
const BUDGET = 2 * MiB;
const image = makeImage(83, [20 * MiB + 3, 0, 700_001]);
const [big, empty, small] = image.layers as { digest: string; content: Buffer }[];
const pathOf = (l: { digest: string }) => `/v2/src/ns/app/blobs/${l.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let world: CachedProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 1_500 }, cache: { blobs: { max_send_buffer_bytes: BUDGET } } });
  for (const l of [big, empty, small]) expect(sha((await world.proxy.get(pathOf(l!))).body)).toBe(l!.digest);
  await untilFillsEnded(world.proxy, 3);
}, 60_000);
afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await world?.close();
});

/** Sends `request` raw and destroys the socket after `afterMs` (0: right after writing), or after its first `bytes` bytes. */
function leaver(request: string, when: { afterMs?: number; bytes?: number }): Promise<void> {
  const { hostname, port } = new URL(world.proxy.url);
  return new Promise((resolve) => {
    let got = 0;
    const socket = connect(Number(port), hostname, () => {
      socket.write(request.replaceAll('HOST', hostname));
      if (when.afterMs !== undefined) setTimeout(() => socket.destroy(), when.afterMs);
    });
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (when.bytes !== undefined && got >= when.bytes) socket.destroy();
    });
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nhost: HOST\r\n${extra}\r\n`;

it('clients leaving at every moment give back every lent byte, and the line still moves', async () => {
  const buffers = world.proxy.proxy.sendBuffers;
  // Stuck readers take the whole budget, so the next ones read through buffers outside it.
  await Promise.all(Array.from({ length: 4 }, () => stuckReader(world.proxy.url, pathOf(big!), sockets)));
  const leaving: Promise<void>[] = [];
  for (let round = 0; round < 3; round++) {
    leaving.push(
      leaver(get(pathOf(big!)), { afterMs: 0 }),
      leaver(get(pathOf(big!)), { afterMs: 5 + round * 20 }),
      leaver(get(pathOf(small!)), { afterMs: 30 }),
      leaver(get(pathOf(big!), 'range: bytes=1000-3000000\r\n'), { afterMs: 10 }),
      leaver(`HEAD ${pathOf(big!)} HTTP/1.1\r\nhost: HOST\r\n\r\n`, { afterMs: 1 }),
      leaver(get(pathOf(empty!)), { afterMs: 0 }),
      leaver(get(pathOf(big!)).repeat(6), { afterMs: 40 }),
    );
  }
  await Promise.all(leaving);
  // The stuck ones are cut by the send timeout; then everything lent is back.
  await vi.waitFor(() => expect(buffers.bytes).toBe(0), { timeout: 20_000, interval: 100 });
  // And afterwards, with the budget free: clients that leave mid-write (their buffers are given back unreusable).
  await Promise.all(Array.from({ length: 8 }, (_, i) => leaver(get(pathOf(i % 2 ? big! : small!)), { bytes: 1 + i * 70_000 })));
  await vi.waitFor(() => expect(buffers.bytes).toBe(0), { timeout: 20_000, interval: 100 });
  const fresh = await world.proxy.get(pathOf(big!));
  expect(sha(fresh.body)).toBe(big!.digest);
  expect(sha((await world.proxy.get(pathOf(empty!))).body)).toBe(empty!.digest);
  expect(buffers.bytes).toBe(0);
  expect(buffers.peak).toBeLessThanOrEqual(BUDGET);
});
