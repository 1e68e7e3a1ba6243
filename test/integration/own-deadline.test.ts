// Every request ends by its own upstream.pull_deadline_ms (504 before any
// byte, a broken body once streaming), whoever else waits on the same
// upstream work (red-team findings: coalesced requests and readers of a fill
// waited for the whole shared fetch, so a trickle of identical pulls held
// every earlier one open; a lone one past its deadline got 500 UNKNOWN; a
// cached blob sent to a slow reader ignored the deadline). The shared fetch
// runs on for the requests still waiting. A client that leaves is an
// info-level access line marked `clientLeft`, never a logged 500.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const DEADLINE_MS = 1_000;
/** Followers join every STEP_MS (each before the previous one's deadline) while the first request waits, at most FOLLOWERS. */
const STEP_MS = 400;
const FOLLOWERS = 10;

const status = (url: string, signal?: AbortSignal) =>
  request(url, signal ? { signal } : {}).then(
    async (r) => (await r.body.dump().catch(() => undefined), r.statusCode),
    () => 0,
  );

/**
 * Starts `pull` once, then again every STEP_MS while that first one is
 * unanswered: with the shared work held open by each new joiner, the first
 * answer must not wait for the last. Returns its status and how many joined
 * before it came; `sharedStill` is read the moment it came.
 */
async function firstOfAChain(pull: () => Promise<number>, started: () => Promise<void>, sharedStill: () => number) {
  let answered = false;
  let upstreamAtAnswer = -1;
  const first = pull().then((s) => ((answered = true), (upstreamAtAnswer = sharedStill()), s));
  await started();
  const followers: Promise<number>[] = [];
  for (let i = 0; i < FOLLOWERS && !answered; i++) {
    await new Promise((r) => setTimeout(r, STEP_MS));
    if (!answered) followers.push(pull());
  }
  const code = await first;
  const joined = followers.length;
  // One more joins after the first left (the others still wait): the shared work is still there for it.
  followers.push(pull());
  const others = await Promise.all(followers);
  return { code, joined, upstreamAtAnswer, others, upstreamAtEnd: sharedStill() };
}

const requestLines = (proxy: TestProxy, before: number) => proxy.logs.slice(before).filter((l) => l.msg === 'request' || l.msg === 'request failed');

/** The chain above against one upstream (`upstream`: its count of requests for the content pulled). */
async function eachAtOwnDeadline(pull: () => Promise<number>, upstream: () => number): Promise<void> {
  const before = upstream();
  const chain = await firstOfAChain(
    pull,
    () => vi.waitFor(() => expect(upstream()).toBe(before + 1), { timeout: 5_000, interval: 10 }),
    () => upstream() - before,
  );
  expect(chain.code).toBe(504);
  expect(chain.joined).toBeLessThan(FOLLOWERS);
  // Still the one shared fetch when the first was answered, and at the end: it was not aborted for the others.
  expect(chain.upstreamAtAnswer).toBe(1);
  expect(chain.others).toEqual(chain.others.map(() => 504));
  expect(chain.upstreamAtEnd).toBe(1);
}

/** A request alone past its deadline: 504 and an info access line, no logged failure. */
async function lone504(proxy: TestProxy, url: string): Promise<void> {
  const before = proxy.logs.length;
  expect(await status(url)).toBe(504);
  await vi.waitFor(() => expect(requestLines(proxy, before)).toHaveLength(1), { timeout: 5_000, interval: 10 });
  expect(requestLines(proxy, before)[0]).toMatchObject({ msg: 'request', code: 504, level: 30 });
}

describe('identical manifest requests sharing one upstream fetch', () => {
  let source: FakeRegistry;
  let proxy: TestProxy;
  beforeAll(async () => {
    source = await fakeRegistry();
    pushImage(source, 'ns/app', makeImage(71), 'v1');
    source.faults = { hang: true };
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, headers_timeout_ms: 60_000, pull_deadline_ms: DEADLINE_MS });
  });
  afterAll(async () => {
    await proxy?.close();
    await source?.stop();
  });
  const url = () => `${proxy.url}/v2/src/ns/app/manifests/v1`;

  it('each is answered 504 at its own deadline while the fetch runs on for those still waiting', () => eachAtOwnDeadline(() => status(url()), () => source.count('/manifests/v1')));

  it('a lone one past its deadline is answered 504 GATEWAY_TIMEOUT, not 500, and logs no failure', () => lone504(proxy, url()));

  it('one whose client left before the answer is an info line marked clientLeft, with no status sent', async () => {
    const before = proxy.logs.length;
    const count = source.count('/manifests/v1');
    const abort = new AbortController();
    const pending = status(url(), abort.signal);
    await vi.waitFor(() => expect(source.count('/manifests/v1')).toBe(count + 1), { timeout: 5_000, interval: 10 });
    abort.abort();
    expect(await pending).toBe(0);
    await vi.waitFor(() => expect(requestLines(proxy, before)).toHaveLength(1), { timeout: 5_000, interval: 10 });
    expect(requestLines(proxy, before)[0]).toMatchObject({ msg: 'request', code: 0, clientLeft: true, level: 30 });
  });
});

function bytes(size: number, seed: number): { blob: Buffer; digest: string } {
  const blob = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) blob.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  return { blob, digest: `sha256:${createHash('sha256').update(blob).digest('hex')}` };
}

describe('blob requests reading one disk-cache fill', () => {
  // 64 KiB dripped 256 bytes every 50 ms: 12.5 s for the whole blob, above the 1 B/s stall limit set here.
  const { blob, digest } = bytes(64 * 1024, 1);
  let drip: DripRegistry;
  let proxy: TestProxy;
  beforeAll(async () => {
    drip = await dripRegistry(blob, { bytes: 256, everyMs: 50 });
    proxy = await startTestProxy(mirrorRules(`${drip.host}/ns`, [], []), { aliases: { src: drip.host }, pull_deadline_ms: DEADLINE_MS, min_bytes_per_s: 1, body_idle_timeout_ms: 60_000 }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('own-deadline-fill') } },
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await drip?.stop();
  });
  const url = () => `${proxy.url}/v2/src/ns/app/blobs/${digest}`;

  it('each is answered at its own deadline while the fill runs on for those still waiting', () => eachAtOwnDeadline(() => status(url()), () => drip.requests()));

  it('a lone one past its deadline is answered 504 GATEWAY_TIMEOUT, not 500, and logs no failure', () => lone504(proxy, url()));
});

describe('a cached blob sent to a slow reader', () => {
  const SIZE = 48 * 1024 * 1024;
  const { blob, digest } = bytes(SIZE, 2);
  const path = `/v2/src/ns/app/blobs/${digest}`;
  const dir = tempDir('own-deadline-cached');
  let source: FakeRegistry;
  let proxy: TestProxy;
  const start = () =>
    startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, pull_deadline_ms: DEADLINE_MS }, {
      server: { listen: ['127.0.0.1:0'], send_timeout_ms: 30_000 },
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir, max_bytes: 1 << 30 } },
    });
  beforeAll(async () => {
    source = await fakeRegistry();
    source.putBlob(blob);
    // Filled by one proxy, sent by the next from the file it finds: never from a fill still held in memory.
    const filler = await start();
    const warm = await request(`${filler.url}${path}`);
    expect(warm.statusCode).toBe(200);
    await warm.body.dump({ limit: SIZE + 1 });
    await untilFillsEnded(filler, 1);
    await filler.close();
    proxy = await start();
  });
  afterAll(async () => {
    await proxy?.close();
    await source?.stop();
  });

  /** Reads the response, pausing `pauseMs` after every piece, for at most `pieces` pieces; says whether the proxy closed it first. */
  function slowReader(pauseMs: number, pieces: number): Promise<{ closedByProxy: boolean; received: number }> {
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
      socket.on('close', () => resolve({ closedByProxy: !mine, received }));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
  }

  it('has its response cut at the pull deadline', { timeout: 60_000 }, async () => {
    const before = proxy.logs.length;
    const fetched = source.count('/blobs/');
    // 250 pieces 40 ms apart: at least 10 s, ten times the deadline, each write taken well within the send timeout,
    // and far from the whole blob; the bytes the kernel still held at the cut are read within that too.
    const { closedByProxy, received } = await slowReader(40, 250);
    expect(closedByProxy).toBe(true);
    expect(received).toBeLessThan(SIZE);
    await vi.waitFor(() => expect(requestLines(proxy, before)).toHaveLength(1), { timeout: 5_000, interval: 10 });
    expect(requestLines(proxy, before)[0]).toMatchObject({ msg: 'request', code: 504 });
    expect(source.count('/blobs/')).toBe(fetched); // sent from the cache file
  });

  it('a client leaving mid-body is an info line marked clientLeft, not a logged 500', async () => {
    const before = proxy.logs.length;
    const fetched = source.count('/blobs/');
    const { closedByProxy } = await slowReader(20, 3);
    expect(closedByProxy).toBe(false);
    await vi.waitFor(() => expect(requestLines(proxy, before)).toHaveLength(1), { timeout: 5_000, interval: 10 });
    expect(requestLines(proxy, before)[0]).toMatchObject({ msg: 'request', code: 200, clientLeft: true, level: 30 });
    expect(source.count('/blobs/')).toBe(fetched);
  });
});
