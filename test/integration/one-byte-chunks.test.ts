// An upstream that sends its body as one-byte HTTP chunks (red-team F1, F2).
// Every holder of upstream Buffers bounds bytes; a Buffer object costs ~100
// bytes of heap whatever its length, so a million one-byte chunks held within
// a 1 MiB bound were ~200 MiB of heap (1 MiB blob held before verifying, no
// disk cache) and ~800 MiB for a client that stops reading a Range. What the
// proxy holds must stay a small multiple of the bytes, however the upstream
// cuts them. Measured with the fix: +7-16 MiB; without: +117-830 MiB.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confettiRegistry, type ConfettiRegistry } from '../fakes/confetti-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
/** Heap growth allowed: the client's copy, the fake's frames and the collector's lag, not one object per byte. */
const HEAP_BOUND_MIB = 48;

const heapMiB = () => process.memoryUsage().heapUsed / MiB;

describe('a 1 MiB blob sent as one-byte chunks, held until verified', () => {
  const blob = randomBytes(MiB);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  let mirror: ConfettiRegistry;
  let plain: TestProxy;
  let cached: TestProxy;

  beforeAll(async () => {
    mirror = await confettiRegistry(blob);
    const rules = () => mirrorRules(`${mirror.host}/ns`, [], []);
    plain = await startTestProxy(rules(), { aliases: { src: mirror.host } });
    cached = await startTestProxy(rules(), { aliases: { src: mirror.host } }, { cache: { blobs: { dir: tempDir('one-byte-chunks') } } });
  });
  afterAll(async () => {
    await plain?.close();
    await cached?.close();
    await mirror?.stop();
  });

  it.each([
    ['without the disk cache', () => plain],
    ['with the disk cache', () => cached],
  ])('%s: the heap grows by a small multiple of the blob', async (_name, which) => {
    const asked = mirror.requests();
    const before = heapMiB();
    let peak = before;
    // Samples the heap while the pull runs (stopped when it ends).
    const sampler = setInterval(() => (peak = Math.max(peak, heapMiB())), 1);
    try {
      const res = await which().get(`/v2/src/ns/app/blobs/${digest}`);
      peak = Math.max(peak, heapMiB());
      expect(res.status).toBe(200);
      expect(res.body.equals(blob)).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    expect(mirror.requests()).toBe(asked + 1);
    expect(peak - before).toBeLessThan(HEAP_BOUND_MIB);
  });
});

describe('a Range sent as one-byte chunks to a client that stops reading (no disk cache)', () => {
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

  it('pins a small multiple of the bytes waiting for it', async () => {
    const before = heapMiB();
    let peak = before;
    const socket: Socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.on('error', () => {});
    const began = new Promise<void>((resolve) =>
      socket.once('data', () => {
        // Stops reading once the answer began.
        socket.pause();
        resolve();
      }),
    );
    socket.write(`GET /v2/src/ns/app/blobs/${digest} HTTP/1.1\r\nhost: x\r\nrange: bytes=0-${9 * MiB}\r\n\r\n`);
    await began;
    try {
      // Samples the heap while the proxy feeds the stalled client: 100 samples, 50 ms apart.
      for (let i = 0; i < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        peak = Math.max(peak, heapMiB());
      }
    } finally {
      socket.destroy();
    }
    expect(mirror.requests()).toBe(1);
    expect(peak - before).toBeLessThan(HEAP_BOUND_MIB);
  });
});
