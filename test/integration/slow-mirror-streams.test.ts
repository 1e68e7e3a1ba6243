// Without the blob cache, a large blob streams to its client with only its
// last chunk held back for the digest check (store/client-sink.ts,
// pull/verify.ts StreamVerifier, cache.blobs.verify_before_serve_bytes). From
// a slow but steady mirror pacing its body in one-byte writes, the bytes it
// already sent reach the client as they arrive, less that tail: a client (or
// a pull deadline) does not see nothing for as long as the mirror is slow.
// A red-team report of "0 body bytes out before the 504" was a setting that
// never applied (a quoted ["cache.blobs"] table, now refused by name:
// test/unit/edges/settings.test.ts); this holds the streaming itself.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { pacedCrumbs } from '../fakes/paced-crumbs.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';

const CONTENT = randomBytes(4 * 1024 * 1024);
const DIGEST = `sha256:${createHash('sha256').update(CONTENT).digest('hex')}`;
/** Bytes the mirror must have sent before we look at what the client got. */
const UPSTREAM_BYTES = 512 * 1024;
/** What may fairly be held back at that point: the verify window is 64 KiB; allow a generous 256 KiB. */
const HELD_AT_MOST = 256 * 1024;

let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

it('a slow one-byte-write mirror: what it sent reaches the client, less a bounded tail', async () => {
  const mirror = await pacedCrumbs(CONTENT);
  const source = await fakeRegistry();
  stops.push(() => mirror.stop(), () => source.stop());
  const proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [], { never: true }),
    { aliases: { src: source.host }, min_bytes_per_s: 1, body_idle_timeout_ms: 60_000, pull_deadline_ms: 120_000 },
    { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 120_000 }, cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: 64 * 1024 } } },
  );
  stops.push(() => proxy.close());
  const { hostname, port } = new URL(proxy.url);
  let received = 0;
  let head = '';
  const socket = connect(Number(port), hostname, () => socket.write(`GET /v2/src/ns/app/blobs/${DIGEST} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  socket.on('data', (d: Buffer) => {
    if (!head.includes('\r\n\r\n')) {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0) received += head.length - end - 4;
    } else received += d.length;
  });
  socket.on('error', () => {});
  stops.push(() => socket.destroy());
  // Bounded: at most 1200 polls of 50 ms.
  for (let i = 0; i < 1200 && mirror.sent() < UPSTREAM_BYTES; i++) await new Promise((r) => setTimeout(r, 50));
  const sent = mirror.sent();
  // Let what the proxy already has drain to the client: a few turns, counted.
  for (let i = 0; i < 20 && received < sent - HELD_AT_MOST; i++) await new Promise((r) => setTimeout(r, 50));
  expect(head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  expect(sent).toBeGreaterThanOrEqual(UPSTREAM_BYTES);
  expect(received).toBeGreaterThanOrEqual(sent - HELD_AT_MOST);
}, 120_000);
