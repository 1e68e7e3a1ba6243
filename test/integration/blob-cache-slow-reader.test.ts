// A cold blob larger than a fill's memory window (store/fill.ts), over real
// sockets: a client that stops reading does not hold up the fill (the blob is
// fetched once and committed while that client still reads nothing); when it
// reads on, it gets the bytes the window forgot from the file, through one
// reused read buffer, every byte right.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { LIVE_WINDOW_BYTES } from '../../src/store/fill.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

// Far larger than the window and than what the socket buffers on both sides can absorb.
const image = makeImage(43, [Math.max(24 * 1024 * 1024, 3 * LIVE_WINDOW_BYTES)]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const path = `/v2/src/ns/app/blobs/${layer.digest}`;

let mirror: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;
let dir: string;

beforeEach(async () => {
  [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  for (const r of [mirror, source]) pushImage(r, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-slow-fill-'));
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, { cache: { blobs: { dir } } });
});
afterEach(async () => {
  await proxy.close();
  await Promise.all([mirror.stop(), source.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

it('a client that stops reading does not hold up the fill, and reads every byte right from the file afterwards', async () => {
  const slow = await request(`${proxy.url}${path}`);
  expect(slow.statusCode).toBe(200);
  const fast = await Promise.all([proxy.get(path), proxy.get(path)]);
  for (const f of fast) expect(sha(f.body)).toBe(layer.digest);
  // Fetched and committed under its name while the slow client has not read on.
  await untilFillsEnded(proxy, 1);
  expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([layer.digest.slice(7)]);
  const body = Buffer.from(await slow.body.arrayBuffer());
  expect(body.length).toBe(layer.content.length);
  expect(sha(body)).toBe(layer.digest);
  expect(mirror.count(layer.digest, 'GET') + source.count(layer.digest, 'GET')).toBe(1);
});
