// The warm path's memory bound (store/file-buffers.ts, cache.blobs.max_send_buffer_bytes)
// over real sockets: many clients that stop reading a cached blob hold its read
// buffers until the send timeout cuts them, and never more than the budget
// all together; the clients that read get their blob whole, waiting for
// buffers when the stuck ones hold them all.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';
import { stuckReader } from '../helpers/stuck-reader.js';

const MiB = 1024 * 1024;
// Room for four responses' own buffers (2 × 256 KiB each) and no shared 4 MiB pair.
const BUDGET = 2 * MiB;
const STUCK = 12;
const READERS = 6;
// More than the socket buffers on both sides absorb, so a stuck client holds its response.
const image = makeImage(61, [24 * MiB + 77]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let world: CachedProxy;
const stuck: Socket[] = [];

beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 1_000 }, cache: { blobs: { max_send_buffer_bytes: BUDGET } } });
  expect(sha((await world.proxy.get(path)).body)).toBe(layer.digest);
  await untilFillsEnded(world.proxy, 1);
}, 60_000);
afterAll(async () => {
  for (const s of stuck.splice(0)) s.destroy();
  await world?.close();
});

it('clients that stop reading hold no more than the budget together; every reader gets its blob whole', async () => {
  const buffers = world.proxy.proxy.sendBuffers;
  // Headers come before the buffers: every stuck client has begun, most of them waiting for buffers.
  await Promise.all(Array.from({ length: STUCK }, () => stuckReader(world.proxy.url, path, stuck)));
  const readers = await Promise.all(Array.from({ length: READERS }, () => world.proxy.get(path)));
  for (const r of readers) expect(sha(r.body)).toBe(layer.digest);
  expect(buffers.peak).toBeGreaterThan(0);
  expect(buffers.peak).toBeLessThanOrEqual(BUDGET);
  // The stuck clients are cut in turn (some got buffers only after readers gave theirs back) and give theirs back.
  await vi.waitFor(() => expect(buffers.bytes).toBe(0), { timeout: 60_000, interval: 100 });
  expect(buffers.peak).toBeLessThanOrEqual(BUDGET);
}, 120_000);
