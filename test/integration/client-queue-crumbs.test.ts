// Without the disk cache, a blob (or a Range of it) streams to its client
// through store/client-sink.ts writeToClient. The client's socket queue is bounded in bytes; an
// upstream that paces its body one byte per chunk, to a client that reads
// nothing, would fill it with one Buffer object per byte before the bound
// trips. The sink lets at most one small chunk wait per client; what arrives
// meanwhile is packed into slabs by the body reader. Counted by the sink's
// exported smallQueued counter, not by RSS.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { smallQueued } from '../../src/store/client-sink.js';
import { pacedCrumbs } from '../fakes/paced-crumbs.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';

const CONTENT = randomBytes(64 * 1024 * 1024);
const DIGEST = `sha256:${createHash('sha256').update(CONTENT).digest('hex')}`;
/** Upstream bytes to wait for: well past what the kernel's socket buffers took for the client that reads nothing. */
const UPSTREAM_BYTES = 400_000;

/** Small chunks queued at once that leave no doubt (without the wait, one per byte past the kernel's buffers). */
const QUEUE_EVIDENT = 1_000;

/** What a test started, stopped last first. */
let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

it.each([
  ['a whole blob', ''],
  ['a Range', `range: bytes=0-${CONTENT.length - 2}\r\n`],
])('%s from a paced one-byte-chunk upstream to a client that reads nothing: at most one small chunk waits in its socket queue', async (_what, range) => {
  const mirror = await pacedCrumbs(CONTENT);
  const source = await fakeRegistry();
  stops.push(() => mirror.stop(), () => source.stop());
  const proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [], { never: true }),
    { aliases: { src: source.host }, min_bytes_per_s: 1, body_idle_timeout_ms: 60_000 },
    { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 120_000 } },
  );
  stops.push(() => proxy.close());
  smallQueued.peak = smallQueued.now;
  const { hostname, port } = new URL(proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET /v2/src/ns/app/blobs/${DIGEST} HTTP/1.1\r\nhost: ${hostname}\r\n${range}\r\n`));
  socket.pause();
  socket.on('error', () => {});
  stops.push(() => socket.destroy());
  // Bounded: polls until the upstream sent UPSTREAM_BYTES (or the queue plainly grew), at most 1200 polls:
  // ~6 s alone, far longer on a loaded machine.
  for (let i = 0; i < 1200 && mirror.sent() < UPSTREAM_BYTES && smallQueued.peak <= QUEUE_EVIDENT; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  // One at most, and one indeed: the tiny chunks did reach the client's socket through the sink.
  expect(smallQueued.peak).toBe(1);
  expect(mirror.sent()).toBeGreaterThanOrEqual(UPSTREAM_BYTES);
}, 120_000);
