// A client pipelines GETs of a large blob and its connection dies while the
// first is answered. Node never closes the responses queued behind it (it
// destroys only their requests), so their work waited for an end that never
// came: with the disk cache it waited to own the socket (or, before, for a
// drain) until the pull deadline or the send timeout, holding the fill and a
// place in graceful shutdown. Every answer must end with its connection:
// cold fill, cached blob and no cache alike.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { mixedChunks, type MixedChunks } from '../fakes/mixed-chunks.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { sample } from '../helpers/prometheus.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const image = makeImage(93, [24 * MiB + 5]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let upstream: MixedChunks | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await upstream?.stop();
  proxy = upstream = undefined;
});

/** A proxy with a long send timeout and pull deadline, so only the connection's end can end the queued answers. */
async function world(cache: boolean): Promise<TestProxy> {
  // Paced, so a cold fill is still in flight when the connection dies.
  upstream = await mixedChunks(layer.content, { sizes: [65536, 1, 32768, 3], pauseEvery: 8, pauseMs: 25 });
  proxy = await startTestProxy(mirrorRules(`${upstream.host}/ns`, [], []), { aliases: { src: upstream.host }, body_idle_timeout_ms: 60_000, pull_deadline_ms: 600_000 }, {
    server: { listen: ['127.0.0.1:0'], send_timeout_ms: 600_000 },
    ...(cache ? { cache: { blobs: { dir: tempDir('cache') } } } : {}),
  });
  return proxy;
}

/** Pipelines `count` GETs of the blob on one connection, and destroys it once the first answer has begun. */
async function pipelineThenDie(p: TestProxy, count: number): Promise<void> {
  const { hostname, port } = new URL(p.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`.repeat(count)));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('data', resolve));
  socket.pause();
  // Let the queued handlers start and wait for their turn.
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

const inFlight = async (p: TestProxy) => (sample((await p.get('/metrics')).body.toString(), 'mirrorgate_http_requests_in_flight') ?? 0) - 1;

for (const [name, cache, primed] of [
  ['a fill in flight', true, false],
  ['a cached blob', true, true],
  ['no blob cache', false, false],
] as const) {
  it(`${name}: the answers queued on a connection that died all end with it`, async () => {
    const p = await world(cache);
    if (primed) {
      expect(sha((await p.get(path)).body)).toBe(layer.digest);
      await untilFillsEnded(p, 1);
    }
    // More than Node's 10 listeners per emitter: the queued answers share one on their connection.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await pipelineThenDie(p, 16);
      await vi.waitFor(async () => expect(await inFlight(p)).toBe(0), { timeout: 10_000, interval: 100 });
    } finally {
      process.off('warning', onWarning);
    }
    expect(p.proxy.sendBuffers.bytes).toBe(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  }, 60_000);
}
