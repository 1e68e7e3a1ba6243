// Red team (cold-fill, deadlines): "every request ends by upstream.pull_deadline_ms:
// 504, or a broken body once streaming". Two ways a blob request outlives it:
// 1. A request waiting on a disk-cache fill (store/blobs.ts fromFill) whose own
//    signal aborts (deadline or client gone) still `await settled`s, i.e. waits
//    for the whole shared fill to end before it answers or breaks its response;
//    the fill itself is aborted only when every waiter has gone. So while a new
//    identical pull joins before the last one's deadline, the first is never
//    answered, and its socket stays open (a dripping mirror above the stall
//    limit, or a trickle of identical pulls, holds every earlier one).
// 2. A blob sent from the disk cache (read-file.ts sendFile) never looks at the
//    request's signal: a client that keeps reading slowly (each write taken
//    within server.send_timeout_ms) holds its response, its file handle and its
//    in-flight slot long past the pull deadline.
// REQUIRED: each request ends (504, or a cut body) at its own deadline.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const DEADLINE_MS = 1_000;

function bytes(size: number, seed: number): { blob: Buffer; digest: string } {
  const blob = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) blob.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  return { blob, digest: `sha256:${createHash('sha256').update(blob).digest('hex')}` };
}

describe('waiting on a fill', () => {
  // 64 KiB dripped 256 bytes every 50 ms: 12.5 s for the whole blob, above the 1 B/s stall limit set here.
  const { blob, digest } = bytes(64 * 1024, 1);
  const STEP_MS = 400;
  const FOLLOWERS = 10;
  let drip: DripRegistry;
  let proxy: TestProxy;

  beforeAll(async () => {
    drip = await dripRegistry(blob, { bytes: 256, everyMs: 50 });
    proxy = await startTestProxy(mirrorRules(`${drip.host}/ns`, [], []), { aliases: { src: drip.host }, pull_deadline_ms: DEADLINE_MS, min_bytes_per_s: 1, body_idle_timeout_ms: 60_000 }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('rt-fill') } },
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await drip?.stop();
  });

  const pull = () => request(`${proxy.url}/v2/src/ns/app/blobs/${digest}`).then(async (r) => (await r.body.dump().catch(() => undefined), r.statusCode), () => 0);

  it('a request joined to a fill is answered at its own deadline, whoever else still waits', async () => {
    let launched = 0;
    let firstAnsweredAfter: number | undefined;
    const first = pull().then((status) => ((firstAnsweredAfter = launched), status));
    const followers: Promise<number>[] = [];
    for (let i = 0; i < FOLLOWERS; i++) {
      await new Promise((r) => setTimeout(r, STEP_MS));
      followers.push(pull());
      launched++;
    }
    const status = await first;
    // The deadline is 2.5 steps: the first answer must come long before the last follower joined.
    expect(firstAnsweredAfter).toBeLessThan(FOLLOWERS / 2);
    expect(status).toBe(504);
    await Promise.all(followers);
  });

  it('a lone request waiting on a fill past its deadline is answered 504 GATEWAY_TIMEOUT, not 500', async () => {
    // The fill runs under the flight's own controller, aborted without the deadline's reason.
    const before = proxy.logs.length;
    expect(await pull()).toBe(504);
    expect(proxy.logs.slice(before).filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});

describe('a cached blob to a slow reader', () => {
  const SIZE = 96 * 1024 * 1024;
  const { blob, digest } = bytes(SIZE, 2);
  let source: FakeRegistry;
  let proxy: TestProxy;

  beforeAll(async () => {
    source = await fakeRegistry();
    source.putBlob(blob);
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, pull_deadline_ms: DEADLINE_MS }, {
      server: { listen: ['127.0.0.1:0'], send_timeout_ms: 10_000 },
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('rt-cached'), max_bytes: 1 << 30 } },
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await source?.stop();
  });

  /** Reads the response, pausing `pauseMs` after every piece, for at most `pieces` pieces; says whether the proxy closed it first, and after how many pieces. */
  function slowReader(path: string, pauseMs: number, pieces: number): Promise<{ closedByProxy: boolean; received: number; pieces: number }> {
    const { hostname, port } = new URL(proxy.url);
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname);
      let received = 0;
      let count = 0;
      let mine = false;
      socket.on('data', (c: Buffer) => {
        received += c.length;
        if (++count >= pieces) {
          mine = true;
          socket.destroy();
          return;
        }
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve({ closedByProxy: !mine, received, pieces: count }));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
  }

  it('a slow reader of a cached blob has its response cut at the pull deadline', { timeout: 90_000 }, async () => {
    const path = `/v2/src/ns/app/blobs/${digest}`;
    // Fill the cache first (a fast client).
    const warm = await request(`${proxy.url}${path}`);
    expect(warm.statusCode).toBe(200);
    await warm.body.dump({ limit: SIZE + 1 });
    const hit = await request(`${proxy.url}${path}`, { method: 'HEAD' });
    expect(hit.headers['x-mirrorgate-served-by'] ?? 'cache').toContain('cache');
    // 100 pieces at 60 ms each: at least 6 s, six times the deadline, and far from the whole 96 MiB.
    const { closedByProxy, received, pieces } = await slowReader(path, 60, 100);
    expect(received).toBeLessThan(SIZE);
    expect(closedByProxy).toBe(true);
    // Cut near the deadline (1 s = ~17 pieces), not seconds later by something else.
    expect(pieces).toBeLessThan(50);
  });
});
