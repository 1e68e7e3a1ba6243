// The disk cache's warm path over real sockets: a committed blob larger than
// the read buffers, to several clients at once (some through the shared
// buffers, one through its own), whole and in Ranges across buffer bounds;
// and clients that stop reading a cached blob are cut after
// server.send_timeout_ms, after which the blob is served whole again.
import type { Socket } from 'node:net';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { FILE_BUFFER_LIMITS } from '../../src/store/file-buffers.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';
import { stuckReader } from '../helpers/stuck-reader.js';
import { sample } from '../helpers/prometheus.js';

// Several shared buffers long plus an odd tail, and more than the socket buffers on both sides absorb.
const image = makeImage(59, [Math.max(24 * 1024 * 1024, 5 * FILE_BUFFER_LIMITS.large) + 123]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const SIZE = layer.content.length;
const path = `/v2/src/ns/app/blobs/${layer.digest}`;

const stuck: Socket[] = [];
let world: CachedProxy;

beforeEach(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 500 } });
  expect((await world.proxy.get(path)).body.equals(layer.content)).toBe(true);
  await untilFillsEnded(world.proxy, 1);
});
afterEach(async () => {
  for (const s of stuck.splice(0)) s.destroy();
  await world.close();
});

it('a cached blob larger than the read buffers reaches several clients at once whole, and Ranges across buffer bounds exactly', async () => {
  const large = FILE_BUFFER_LIMITS.large;
  const spans: [number, number][] = [
    [large - 5, 2 * large + 7],
    [1, SIZE - 2],
    [SIZE - large - 1, SIZE - 1],
  ];
  // Two clients take the shared buffers, the rest read through their own.
  const [a, b, c, ...parts] = await Promise.all([world.proxy.get(path), world.proxy.get(path), world.proxy.get(path), ...spans.map(([s, e]) => world.proxy.get(path, { range: `bytes=${s}-${e}` }))]);
  for (const whole of [a, b, c]) expect((whole as { body: Buffer }).body.equals(layer.content)).toBe(true);
  spans.forEach(([s, e], i) => {
    const part = parts[i] as { status: number; headers: Record<string, unknown>; body: Buffer };
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes ${s}-${e}/${SIZE}`);
    expect(part.body.equals(layer.content.subarray(s, e + 1))).toBe(true);
  });
  // And again, through buffers the first round gave back.
  expect((await world.proxy.get(path)).body.equals(layer.content)).toBe(true);
  expect(world.upstreamGets(layer.digest)).toBe(1);
});

it('clients that stop reading a cached blob are cut after server.send_timeout_ms; the blob is then served whole', async () => {
  await Promise.all([stuckReader(world.proxy.url, path, stuck), stuckReader(world.proxy.url, path, stuck), stuckReader(world.proxy.url, path, stuck)]);
  const inFlight = async () => sample((await world.proxy.get('/metrics')).body.toString(), 'mirrorgate_http_requests_in_flight');
  // Only the metrics request itself is left once the send timeout cut the three.
  await vi.waitFor(async () => expect(await inFlight()).toBe(1), { timeout: 30_000, interval: 100 });
  const again = await Promise.all([world.proxy.get(path), world.proxy.get(path)]);
  for (const r of again) expect(r.body.equals(layer.content)).toBe(true);
}, 60_000);
