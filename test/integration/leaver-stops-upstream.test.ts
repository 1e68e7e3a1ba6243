// A client that stops reading (the flowing body reader pauses the
// upstream body with a batch collected) and then leaves: its
// upstream request is abandoned (connection closed, body not read to its
// end), with and without the disk cache when it was the fill's only client,
// and for a Range without the cache.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blob = randomBytes(24 * MiB);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

let drip: DripRegistry | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await drip?.stop();
  proxy = drip = undefined;
});

/** Reads the answer's first bytes, stops reading for a while, then leaves. */
async function stallThenLeave(url: string, extra = ''): Promise<void> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`GET /v2/src/ns/app/blobs/${digest} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`);
  await new Promise<void>((resolve) => socket.once('data', () => resolve(void socket.pause())));
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.destroy();
}

async function untilAbandoned(d: DripRegistry): Promise<void> {
  for (let i = 0; i < 300 && (d.abandoned() < 1 || d.openSockets() > 0); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

it.each([
  ['without the disk cache', false, ''],
  ['without the disk cache, a Range', false, `range: bytes=100-${20 * MiB}\r\n`],
  ['with the disk cache', true, ''],
])('%s: the upstream request ends when the stalled client leaves', async (_name, cached, range) => {
  drip = await dripRegistry(blob, { bytes: 256 * 1024, everyMs: 5 });
  const sections: Record<string, Record<string, unknown>> = cached ? { cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('leaver') } } } : {};
  proxy = await startTestProxy(mirrorRules(`${drip.host}/ns`, [], []), { aliases: { src: drip.host }, min_bytes_per_s: 1 }, sections);
  await stallThenLeave(proxy.url, range);
  await untilAbandoned(drip);
  expect(drip.requests()).toBe(1);
  expect(drip.abandoned()).toBe(1);
  expect(drip.openSockets()).toBe(0);
});
