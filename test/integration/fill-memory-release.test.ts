// The global fill memory bound (cache.blobs.max_fill_memory_bytes,
// store/fill-memory.ts), red-team F4: a fill's window was given back only when
// its last reader left, even after the fill verified and its file was committed. A
// few clients that ask for distinct cold blobs and then stop reading (each
// within the send timeout, or reading just fast enough) keep the windows of
// fills long finished counted against the bound, and every other fill of
// every other client goes the slow way (one disk write waited for per chunk,
// readers only from the file). A fill that ended holds nothing
// against the bound; its remaining readers read its file.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blobs = [randomBytes(8 * MiB), randomBytes(8 * MiB + 1)];
const digests = blobs.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);

let source: FakeRegistry;
let proxy: TestProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  source = await fakeRegistry();
  for (const b of blobs) source.putBlob(b);
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('held-windows'), max_fill_memory_bytes: 4 * MiB } } });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await proxy?.close();
  await source?.stop();
});

/** Asks for `digest` and stops reading once the answer began. */
function stalled(digest: string): Promise<void> {
  const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(`GET /v2/src/ns/app/blobs/${digest} HTTP/1.1\r\nhost: x\r\n\r\n`);
  return new Promise((resolve) => socket.once('data', () => resolve(void socket.pause())));
}

it('two stalled readers of finished fills do not keep the bound over all fills taken', async () => {
  await Promise.all(digests.map((d) => stalled(d)));
  // Both fills end (verified, committed) while their readers stay, stalled, well within the send timeout.
  await untilFillsEnded(proxy, 2);
  let held = proxy.proxy.fillMemory.bytes;
  for (let i = 0; i < 100 && held > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    held = proxy.proxy.fillMemory.bytes;
  }
  expect(held).toBe(0);
});
