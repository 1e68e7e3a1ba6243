// Red team: a mirror answering a Range (no disk cache: store/ranged.ts) with
// a 206 in one-byte HTTP chunks, to a client that stops reading. While the
// client's socket is full the flowing body reader (upstream/body-flow.ts)
// collects what arrives, up to 1 MiB of bytes before it pauses the body, but
// without bound on the number of chunks: 1 MiB of one-byte chunks is a
// million Buffer objects. REQUIRED: a stalled client of such a body pins a
// small multiple of the bytes waiting for it, not ~200 bytes of heap per byte.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { confettiRegistry, type ConfettiRegistry } from '../fakes/confetti-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const MiB = 1024 * 1024;
const blob = randomBytes(10 * MiB);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

let mirror: ConfettiRegistry;
let proxy: TestProxy;

beforeAll(async () => {
  mirror = await confettiRegistry(blob);
  proxy = await startTestProxy(mirrorRules(`${mirror.host}/ns`, [], []), { aliases: { src: mirror.host } });
});
afterAll(async () => {
  await proxy?.close();
  await mirror?.stop();
});

it('a client that stops reading a Range sent upstream as one-byte chunks pins far less than 100 MiB of heap', async () => {
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const socket: Socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
  socket.on('error', () => {});
  let received = 0;
  const headers = new Promise<void>((resolve) =>
    socket.on('data', (c: Buffer) => {
      received += c.length;
      // Stops reading once the answer began.
      socket.pause();
      resolve();
    }),
  );
  socket.write(`GET /v2/src/ns/app/blobs/${digest} HTTP/1.1\r\nhost: x\r\nrange: bytes=0-${9 * MiB}\r\n\r\n`);
  await headers;
  try {
    // Samples the heap while the proxy feeds the stalled client (bounded: 100 samples, 50 ms apart).
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  } finally {
    socket.destroy();
  }
  expect(received).toBeGreaterThan(0);
  expect(mirror.requests()).toBe(1);
  console.log(`stalled Range client: heap peak +${((peak - before) / MiB).toFixed(1)} MiB`);
  expect((peak - before) / MiB).toBeLessThan(48);
});
