// Clients that stop reading a cold blob while its fill feeds them (the live
// chunks go out in corked runs, store/read-file.ts sendLive) are cut after
// server.send_timeout_ms; the fill completes and the blob is served whole.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { LIVE_WINDOW_BYTES } from '../../src/store/fill.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';
import { sample } from '../helpers/prometheus.js';

// Far larger than the window and than what the socket buffers on both sides can absorb.
const image = makeImage(47, [Math.max(24 * 1024 * 1024, 3 * LIVE_WINDOW_BYTES)]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const stuck: Socket[] = [];

let world: CachedProxy;
beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 500 } });
});
afterAll(async () => {
  for (const s of stuck) s.destroy();
  await world.close();
});

/** A client that asks for the blob, takes its first bytes, then reads nothing more. */
function stuckReader(): Promise<void> {
  const { hostname, port } = new URL(world.proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.on('error', () => {});
  stuck.push(socket);
  return new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
}

it('clients that stop reading a blob being fetched are cut after server.send_timeout_ms; it is fetched once and served whole', async () => {
  await Promise.all([stuckReader(), stuckReader(), stuckReader()]);
  const inFlight = async () => sample((await world.proxy.get('/metrics')).body.toString(), 'mirrorgate_http_requests_in_flight');
  // Only the metrics request itself is left once the send timeout cut the three.
  await vi.waitFor(async () => expect(await inFlight()).toBe(1), { timeout: 30_000, interval: 100 });
  const again = await Promise.all([world.proxy.get(path), world.proxy.get(path)]);
  for (const r of again) expect(r.body.equals(layer.content)).toBe(true);
  expect(world.upstreamGets(layer.digest)).toBe(1);
}, 60_000);
