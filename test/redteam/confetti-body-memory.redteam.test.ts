// Red team: an upstream body sent as one-byte HTTP chunks. A blob of up to
// verify_before_serve_bytes (4 MiB by default) is held until it verified
// (store/client-sink.ts without the disk cache); the bytes held are bounded
// by the shared 64 MiB gate. REQUIRED: what the proxy holds for such a blob
// stays within a small multiple of its bytes, however the upstream cuts them
// up; a hostile mirror must not turn every held byte into a ~100-byte Buffer
// object (1 MiB held -> ~100 MiB of heap; 16 such pulls inside the gate ->
// gigabytes, the heap limit, the proxy down for every node behind it).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { confettiRegistry, type ConfettiRegistry } from '../fakes/confetti-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blob = randomBytes(MiB);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

let mirror: ConfettiRegistry;
let proxy: TestProxy;
let cached: TestProxy;

beforeAll(async () => {
  mirror = await confettiRegistry(blob);
  proxy = await startTestProxy(mirrorRules(`${mirror.host}/ns`, [], []), { aliases: { src: mirror.host } });
  cached = await startTestProxy(mirrorRules(`${mirror.host}/ns`, [], []), { aliases: { src: mirror.host } }, { cache: { blobs: { dir: tempDir('confetti') } } });
});
afterAll(async () => {
  await proxy?.close();
  await cached?.close();
  await mirror?.stop();
});

it.each([
  ['without the disk cache', () => proxy],
  ['with the disk cache', () => cached],
])('%s: holds a 1 MiB blob sent as one-byte chunks in far less than 100 MiB of heap', async (_name, which) => {
  const proxy = which();
  const asked = mirror.requests();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 1);
  try {
    const res = await proxy.get(`/v2/src/ns/app/blobs/${digest}`);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(res.status).toBe(200);
    expect(res.body.equals(blob)).toBe(true);
  } finally {
    clearInterval(sampler);
  }
  expect(mirror.requests()).toBe(asked + 1);
  console.log(`${_name}: heap peak +${((peak - before) / MiB).toFixed(1)} MiB`);
  // 48x the blob (main before cold-body: +12-17 MiB here): room for the client's copy, the fake's frames and the collector's lag, not one object per byte.
  expect((peak - before) / MiB).toBeLessThan(48);
});
