// An operator must tell a client mirrorgate cut (it took no bytes for
// server.send_timeout_ms) from one that left by itself, and both from an
// answer sent whole: the first logs `cut: "send_timeout"` and counts in
// mirrorgate_client_send_timeouts_total, the second logs `clientLeft: true`.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage } from '../../src/bench/test-image.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { sample } from '../helpers/prometheus.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

// Larger than what the socket buffers on both sides absorb, so a client that stops reading stalls the answer.
const image = makeImage(43, [24 * 1024 * 1024]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;

let upstream: DripRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  upstream = await dripRegistry(layer.content, { bytes: 1024 * 1024, everyMs: 1 });
  source = await fakeRegistry();
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${upstream.host}/ns`], [], { never: true }), { aliases: { src: source.host } }, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 300 } });
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy?.close();
  await Promise.all([upstream?.stop(), source?.stop()]);
});

/** Asks for the blob with `agent` as its user agent, and calls `then` with its socket once the answer began. */
function client(agent: string, then: (socket: Socket) => void): void {
  const { hostname, port } = new URL(proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nuser-agent: ${agent}\r\n\r\n`));
  socket.on('error', () => {});
  sockets.push(socket);
  socket.once('data', () => then(socket));
}

const lineOf = (agent: string) => proxy.logs.find((l) => l.msg === 'request' && l.userAgent === agent);

it('a client cut for the send timeout logs cut: "send_timeout" and counts; one that left by itself does neither', async () => {
  client('stalls', (socket) => socket.pause());
  client('leaves', (socket) => socket.destroy());
  await vi.waitFor(() => expect(lineOf('stalls')).toBeDefined(), { timeout: 20_000, interval: 50 });
  await vi.waitFor(() => expect(lineOf('leaves')).toBeDefined(), { timeout: 20_000, interval: 50 });
  expect(lineOf('stalls')).toMatchObject({ cut: 'send_timeout', code: 200 });
  expect(lineOf('stalls')?.bytes).toBeLessThan(layer.content.length);
  expect(lineOf('leaves')).toMatchObject({ clientLeft: true });
  expect(lineOf('leaves')).not.toHaveProperty('cut');
  const metrics = (await proxy.get('/metrics')).body.toString();
  expect(sample(metrics, 'mirrorgate_client_send_timeouts_total')).toBe(1);
}, 60_000);
