// (Red-team finding) ONE connection that pipelines many GETs of a cached blob and
// reads nothing takes the whole warm send-buffer budget
// (cache.blobs.max_send_buffer_bytes): Node dispatches every pipelined request
// of a packet at once, each response starts and lends its two buffers
// (store/file-buffers.ts) although only the first one owns the socket; the
// others' writes sit in the response's own queue. Every other warm client then
// waits in line until the send timeout cuts the attacker (60 s by default),
// and the attacker simply reconnects.
// Required: a pipelined response that does not own the socket yet holds no
// send buffers (or one connection holds at most one response's worth), so an
// honest client is served while the attacker's connection sits stalled.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';

const MiB = 1024 * 1024;
// Room for four responses' own buffers (2 x 256 KiB each); the shared 4 MiB pairs never fit.
const BUDGET = 2 * MiB;
const PIPELINED = 16;
const SEND_TIMEOUT_MS = 40_000;
const image = makeImage(71, [24 * MiB + 13]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let world: CachedProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: SEND_TIMEOUT_MS }, cache: { blobs: { max_send_buffer_bytes: BUDGET } } });
  expect(sha((await world.proxy.get(path)).body)).toBe(layer.digest);
  await untilFillsEnded(world.proxy, 1);
}, 60_000);
afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await world?.close();
});

function pipeliner(): Promise<Socket> {
  const { hostname, port } = new URL(world.proxy.url);
  const request = `GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`;
  const socket = connect(Number(port), hostname, () => socket.write(request.repeat(PIPELINED)));
  socket.on('error', () => {});
  sockets.push(socket);
  return new Promise((resolve) => socket.once('data', () => {
    socket.pause();
    resolve(socket);
  }));
}

const within = <T>(ms: number, p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(what)), ms).unref())]);

it('one stalled connection pipelining GETs of a cached blob does not starve every other warm client', async () => {
  const buffers = world.proxy.proxy.sendBuffers;
  const attacker = await pipeliner();
  // Let the pipelined handlers run and lend.
  await new Promise((r) => setTimeout(r, 500));
  const heldByOneConnection = buffers.bytes;
  const honest = await within(15_000, world.proxy.get(path), `an honest warm client starved: one connection holds ${heldByOneConnection} of ${BUDGET} send-buffer bytes`);
  expect(sha(honest.body)).toBe(layer.digest);
  // The attacker was still connected and stalled (it was not the send timeout that let the honest client through).
  expect(attacker.destroyed).toBe(false);
  expect(heldByOneConnection).toBeLessThanOrEqual(2 * 256 * 1024);
}, 60_000);
