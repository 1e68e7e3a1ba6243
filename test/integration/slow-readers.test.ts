// Slow readers cannot hold the upstream pool: a client that accepts no bytes
// for server.send_timeout_ms is disconnected and its upstream request
// aborted. 64 clients that stop reading would otherwise hold all 64 pooled
// connections to their upstream, and the next client of that upstream would
// wait for as long as they do.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage } from '../../src/bench/test-image.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const POOL = 64; // undici connections per origin (src/upstream/agents.ts)
// Larger than what the socket buffers on both sides can absorb, so a stuck reader holds its upstream.
const image = makeImage(41, [24 * 1024 * 1024]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let upstream: DripRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
const stuck: Socket[] = [];

afterEach(async () => {
  for (const s of stuck.splice(0)) s.destroy();
  await proxy.close();
  await Promise.all([upstream.stop(), source.stop()]);
});

/** A client that sends its request and then never reads a byte. */
function stuckReader(url: string, path: string): Socket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

it('clients that stop reading are cut after server.send_timeout_ms; the next client of the same upstream gets its blob', async () => {
  upstream = await dripRegistry(layer.content, { bytes: 1024 * 1024, everyMs: 1 });
  source = await fakeRegistry();
  // The idle timeout is long: only the send timeout can free the pool in time.
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${upstream.host}/ns`], [], { never: true }), { aliases: { src: source.host }, body_idle_timeout_ms: 120_000 }, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 500 } });
  const path = `/v2/src/ns/app/blobs/${layer.digest}`;
  for (let i = 0; i < POOL; i++) stuck.push(stuckReader(proxy.url, path));
  // Generous bounds: on a loaded machine 64 streams filling their buffers take a while.
  await vi.waitFor(() => expect(upstream.requests()).toBe(POOL), { timeout: 40_000, interval: 50 });

  const res = await proxy.get(path);
  expect(res.status).toBe(200);
  expect(sha(res.body)).toBe(layer.digest);
  // Every stuck reader's upstream request was aborted, and the pool never grew past its bound.
  await vi.waitFor(() => expect(upstream.abandoned()).toBe(POOL), { timeout: 40_000, interval: 50 });
  expect(upstream.peakResponses()).toBeLessThanOrEqual(POOL);
}, 120_000);
