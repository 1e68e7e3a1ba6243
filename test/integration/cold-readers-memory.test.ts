// Memory held by clients that stop reading a blob while its disk fill is in
// flight (store/read-file.ts sendGrowing). Each reader lends one buffer from
// the send budget (store/file-buffers.ts): 256 KiB counted while the budget
// has room, else 64 KiB outside it. That buffer is what a reader behind the
// fill's memory reads back from the file, and its size caps the fill's chunks
// one write pins, so a stalled reader past the budget holds at most 2 x 64 KiB.
// Before, each held a 256 KiB read-back buffer and up to 256 KiB of pinned
// chunks that no bound counted: 64 stalled readers held 21.9 MiB here, now
// 10.6-10.8 MiB (the bound below is 12).
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { FILE_BUFFER_LIMITS } from '../../src/store/file-buffers.js';
import { mixedChunks, type MixedChunks } from '../fakes/mixed-chunks.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { stuckReader } from '../helpers/stuck-reader.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const image = makeImage(89, [24 * MiB + 1]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const FILL_MEMORY = 1 * MiB;
const SEND_BUDGET = 1 * MiB;
const STALLED = 64;
// Per reader past the budget: its 64 KiB buffer and at most 64 KiB of chunks in its pending write.
const PAST_BUDGET = 2 * FILE_BUFFER_LIMITS.least;
// What the proxy holds for its own sake (sockets, parsers, the fill's writes), whatever the readers do.
const SLACK = 2 * MiB;

// Garbage is counted until collected: measure only what is still referenced.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const referenced = (): number => {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
};

let upstream: MixedChunks | undefined;
let proxy: TestProxy | undefined;
const sockets: Socket[] = [];

/** A proxy whose fill of the layer is still in flight while clients join: its mirror is paced. */
async function world(): Promise<TestProxy> {
  upstream = await mixedChunks(layer.content, { sizes: [65536, 1, 32768, 3], pauseEvery: 8, pauseMs: 25 });
  proxy = await startTestProxy(mirrorRules(`${upstream.host}/ns`, [], []), { aliases: { src: upstream.host }, body_idle_timeout_ms: 10_000 }, {
    server: { listen: ['127.0.0.1:0'], send_timeout_ms: 60_000 },
    cache: { blobs: { dir: tempDir('cache'), max_fill_memory_bytes: FILL_MEMORY, max_send_buffer_bytes: SEND_BUDGET } },
  });
  return proxy;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  await upstream?.stop();
  proxy = upstream = undefined;
});

it('stalled readers of an in-flight fill hold the send budget and at most 128 KiB each past it', async () => {
  const proxy = await world();
  const before = referenced();
  // Joining one after another while the fill runs: each one behind the window reads back from the file.
  for (let i = 0; i < STALLED; i++) {
    await stuckReader(proxy.url, path, sockets);
    await new Promise((r) => setTimeout(r, 15));
  }
  // Let every reader run until its socket stops taking bytes.
  await new Promise((r) => setTimeout(r, 1_500));
  const held = referenced() - before;
  const bound = FILL_MEMORY + SEND_BUDGET + STALLED * PAST_BUDGET + SLACK;
  expect(held, `${STALLED} stalled cold readers hold ${(held / MiB).toFixed(1)} MiB; bound ${(bound / MiB).toFixed(1)} MiB`).toBeLessThanOrEqual(bound);
  // The first readers' buffers are counted in the budget, and never more than it.
  const buffers = proxy.proxy.sendBuffers;
  expect(buffers.bytes).toBeGreaterThan(0);
  expect(buffers.peak).toBeLessThanOrEqual(SEND_BUDGET);
  // Leaving, they give back every counted byte.
  for (const s of sockets.splice(0)) s.destroy();
  await vi.waitFor(() => expect(buffers.bytes).toBe(0), { timeout: 10_000, interval: 50 });
});

it('one stalled connection pipelining GETs of an in-flight fill lends one reader\'s buffer, not one per request', async () => {
  const proxy = await world();
  const { hostname, port } = new URL(proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`.repeat(16)));
  socket.on('error', () => {});
  sockets.push(socket);
  await new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
  // Node dispatches every pipelined request of a packet at once: let their handlers run and lend.
  await new Promise((r) => setTimeout(r, 500));
  expect(proxy.proxy.sendBuffers.peak).toBeGreaterThan(0);
  expect(proxy.proxy.sendBuffers.peak).toBeLessThanOrEqual(FILE_BUFFER_LIMITS.small);
});
