// (Red-team finding) the send timeout (server/send-timeout.ts) judges a pipelined
// response that does not own the socket yet: its res.socket is null, so its
// mark never moves, and after send_timeout_ms it is destroyed, which destroys
// the connection once the response before it ends. A pipelining client that
// reads every byte, just slower than one response per send timeout, loses the
// connection after its first answer.
// Required: an alive client pipelining two GETs of a cached blob gets both
// answers whole.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { type CachedProxy, startCachedProxy } from '../helpers/cached-proxy.js';

const MiB = 1024 * 1024;
const SEND_TIMEOUT_MS = 1_500;
const image = makeImage(97, [16 * MiB + 7]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let world: CachedProxy;
beforeAll(async () => {
  world = await startCachedProxy(image, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: SEND_TIMEOUT_MS } });
  expect(sha((await world.proxy.get(path)).body)).toBe(layer.digest);
  await untilFillsEnded(world.proxy, 1);
}, 60_000);
afterAll(() => world?.close());

it('an alive client pipelining two GETs gets both answers whole', async () => {
  const { hostname, port } = new URL(world.proxy.url);
  const request = (last: boolean) => `GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n${last ? 'connection: close\r\n' : ''}\r\n`;
  const all = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request(false) + request(true)));
    socket.on('error', () => {});
    // About 4 MiB/s: alive for the send timeout at every look, one answer taking ~4 s.
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      socket.pause();
      setTimeout(() => socket.resume(), 15);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => socket.destroy(), 40_000).unref();
  });
  const bodies: Buffer[] = [];
  let rest = all;
  for (let i = 0; i < 2; i++) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    bodies.push(rest.subarray(end + 4, end + 4 + layer.content.length));
    rest = rest.subarray(end + 4 + layer.content.length);
  }
  expect(bodies.length, `answers received: ${bodies.length}, bytes ${all.length}`).toBe(2);
  for (const b of bodies) expect(sha(b)).toBe(layer.digest);
}, 60_000);
