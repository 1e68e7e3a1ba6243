// Without the disk cache, a client that stops reading stops the upstream
// read too: the proxy holds a bounded amount for it (undici's 1 MiB
// read-ahead, one 1 MiB batch of the body reader, the response's 1 MiB
// high-water mark), so the upstream gets no further ahead than that plus the
// kernel's socket buffers on both legs. slow-readers.test.ts shows the send
// timeout cutting such a client; it passed with the sink's backpressure gone,
// as the cut came before the memory showed. Here the send timeout is long.
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { tallyRegistry, type TallyRegistry } from '../fakes/tally-registry.js';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const MIB = 1024 * 1024;
const BLOB_BYTES = 160 * MIB;
/**
 * The most the upstream may send to a client that reads nothing: the
 * proxy's ~3 MiB, plus socket buffers (loopback send buffers up to 4 MiB,
 * receive buffers grown while the proxy read at full speed). Without the
 * backpressure the whole blob comes in.
 */
const BOUND_BYTES = 48 * MIB;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let upstream: TallyRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let client: Socket | undefined;

afterEach(async () => {
  client?.destroy();
  await proxy.close();
  await Promise.all([upstream.stop(), source.stop()]);
});

/** Polls `read` until it stops changing for `quietPolls` polls in a row, or `done` holds; bounded. */
async function settled(read: () => number, done: () => boolean, quietPolls = 10, everyMs = 100, maxPolls = 300): Promise<number> {
  let last = -1;
  let quiet = 0;
  for (let i = 0; i < maxPolls && quiet < quietPolls && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = read();
    quiet = now === last && now > 0 ? quiet + 1 : 0;
    last = now;
  }
  return read();
}

it('a client that reads nothing holds the upstream to a bounded number of bytes (no cache)', async () => {
  upstream = await tallyRegistry(BLOB_BYTES);
  source = await fakeRegistry();
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${upstream.host}/ns`], [], { never: true }), { aliases: { src: source.host }, body_idle_timeout_ms: 120_000 }, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 120_000 } });
  const { hostname, port } = new URL(proxy.url);
  const socket = connect(Number(port), hostname, () => socket.write(`GET /v2/src/ns/app/blobs/${DIGEST} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.pause();
  socket.on('error', () => {});
  client = socket;

  const sent = await settled(upstream.sent, () => upstream.completed() > 0);
  expect(upstream.completed()).toBe(0);
  expect(sent).toBeGreaterThan(0);
  expect(sent).toBeLessThanOrEqual(BOUND_BYTES);
}, 60_000);
