// Red team: memory held by clients that stop reading a blob while its disk
// fill is in flight (store/read-file.ts sendGrowing) is counted by no bound.
// A reader behind the fill's window reads back from the file through a 256 KiB
// buffer of its own (ReadBack), and one that keeps up pins the fill's released
// chunks in its pending socket write; neither is in
// cache.blobs.max_fill_memory_bytes nor cache.blobs.max_send_buffer_bytes, so
// N stalled connections hold ~N x 256 KiB until the send timeout (or, reading
// just enough to look alive, until the pull deadline): with the default
// max_connections (10,000), GiBs outside every configured bound.
// REQUIRED: what stalled cold-path readers hold stays within the configured
// memory bounds (plus a fixed slack), however many they are.
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { mixedChunks, type MixedChunks } from './fakes/mixed-chunks.js';

const MiB = 1024 * 1024;
const image = makeImage(89, [24 * MiB + 1]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const FILL_MEMORY = 1 * MiB;
const SEND_BUDGET = 1 * MiB;
const STALLED = 64;
const SLACK = 8 * MiB;

// Garbage is counted until collected: measure only what is still referenced.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const referenced = (): number => {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
};

let upstream: MixedChunks;
let proxy: TestProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  upstream = await mixedChunks(layer.content, { sizes: [65536, 1, 32768, 3], pauseEvery: 8, pauseMs: 25 });
  proxy = await startTestProxy(mirrorRules(`${upstream.host}/ns`, [], []), { aliases: { src: upstream.host }, body_idle_timeout_ms: 10_000 }, {
    server: { listen: ['127.0.0.1:0'], send_timeout_ms: 60_000 },
    cache: { blobs: { dir: tempDir('cache'), max_fill_memory_bytes: FILL_MEMORY, max_send_buffer_bytes: SEND_BUDGET } },
  });
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  await upstream?.stop();
});

/** Asks for the blob, takes its first bytes, then never reads again. */
function stalled(): Promise<void> {
  const { hostname, port } = new URL(proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.on('error', () => {});
  sockets.push(socket);
  return new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
}

it('stalled readers of an in-flight fill hold no more than the configured memory bounds', async () => {
  const before = referenced();
  // Joining one after another while the fill runs: each one behind the window reads back from the file.
  for (let i = 0; i < STALLED; i++) {
    await stalled();
    await new Promise((r) => setTimeout(r, 15));
  }
  // Let every reader run until its socket stops taking bytes.
  await new Promise((r) => setTimeout(r, 1_500));
  const held = referenced() - before;
  expect(held, `${STALLED} stalled cold readers hold ${(held / MiB).toFixed(1)} MiB of buffers; bounds ${(FILL_MEMORY + SEND_BUDGET) / MiB} MiB + ${SLACK / MiB} MiB slack`).toBeLessThanOrEqual(FILL_MEMORY + SEND_BUDGET + SLACK);
});
