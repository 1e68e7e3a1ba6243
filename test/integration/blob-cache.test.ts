// The disk blob cache over real sockets: one upstream fetch per blob, hits
// without upstream contact, the rules in force applied to cached blobs,
// restarts, eviction, and a wrong copy replaced mid-fill.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { heldRegistry } from '../fakes/held-registry.js';
import { LyingBlobs, serving } from '../fakes/lying-blobs.js';
import { untilFillsEnded, untilInFlight } from '../helpers/blob-fills.js';
import { sample } from '../helpers/prometheus.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(97, [2048, 600_000]);
const small = image.layers[0] as { digest: string; content: Buffer };
const big = image.layers[1] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const path = (digest: string) => `/v2/src/ns/app/blobs/${digest}`;
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let dir: string;
const proxies: TestProxy[] = [];

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) pushImage(r, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-blobs-'));
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all([m1, m2, source].map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(mirrors: string[] = [m1.host, m2.host], blobs: Record<string, unknown> = {}): Promise<TestProxy> {
  const p = await startTestProxy(mirrorRules(`${source.host}/ns`, mirrors.map((m) => `${m}/ns`), []), { aliases: { src: source.host } }, {
    cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir, ...blobs } },
  });
  proxies.push(p);
  return p;
}

const upstreamGets = (digest: string) => [m1, m2, source].reduce((n, r) => n + r.count(digest, 'GET'), 0);

describe('one upstream fetch per blob', () => {
  it('64 concurrent cold pulls of one blob fetch it from upstream once; every client gets it whole', async () => {
    // The mirror answers only once all 64 requests are in: each joins the fill (none comes late enough to be a hit).
    const held = await heldRegistry(m1.host, '/blobs/');
    const p = await start([held.host, m2.host], { verify_before_serve_bytes: 1024 });
    const bodies = await (async () => {
      try {
        const pending = Array.from({ length: 64 }, () => p.get(path(big.digest)));
        await held.arrived;
        await untilInFlight(p, 64);
        held.release();
        return await Promise.all(pending);
      } finally {
        await held.close();
      }
    })();
    for (const b of bodies) {
      expect(b.status).toBe(200);
      expect(b.headers['content-length']).toBe(String(big.content.length));
      expect(sha(b.body)).toBe(big.digest);
    }
    expect(upstreamGets(big.digest)).toBe(1);
    // Followers keep their own record of the shared fetch (a line is logged once its response ended).
    const logged = () => p.logs.filter((l) => l.msg === 'request' && l.path === path(big.digest));
    for (let i = 0; i < 100 && logged().length < 64; i++) await new Promise((r) => setTimeout(r, 20));
    const lines = logged();
    expect(lines).toHaveLength(64);
    expect(lines.every((l) => (l.attempts as unknown[]).length === 1)).toBe(true);
    expect(lines.filter((l) => l.cache === 'blob coalesced' && l.coalesced === true)).toHaveLength(63);
    await untilFillsEnded(p, 1);
    const metrics = (await p.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_upstream_attempts_total', { endpoint: held.host, outcome: 'ok', role: 'mirror' })).toBe(1);
    expect(sample(metrics, 'mirrorgate_blob_cache_fills_total', { result: 'ok' })).toBe(1);
  });
});

describe('served from the cache', () => {
  it('full GET, Range and HEAD, with exact headers and no upstream contact', async () => {
    const p = await start();
    expect(sha((await p.get(path(big.digest))).body)).toBe(big.digest);
    const before = upstreamGets(big.digest) + m1.count(big.digest, 'HEAD');
    const full = await p.get(path(big.digest));
    const part = await p.get(path(big.digest), { range: 'bytes=1000-1999' });
    const suffix = await p.get(path(big.digest), { range: 'bytes=-10' });
    const head = await p.get(path(big.digest), {}, 'HEAD');
    expect(full.body.equals(big.content)).toBe(true);
    expect(full.headers['x-mirrorgate-served-by']).toBe('cache');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${big.content.length}`);
    expect(part.body.equals(big.content.subarray(1000, 2000))).toBe(true);
    expect(suffix.body.equals(big.content.subarray(big.content.length - 10))).toBe(true);
    expect(head.headers['content-length']).toBe(String(big.content.length));
    expect(head.headers['docker-content-digest']).toBe(big.digest);
    expect(head.body.length).toBe(0);
    expect(upstreamGets(big.digest) + m1.count(big.digest, 'HEAD')).toBe(before);
    await untilFillsEnded(p, 1);
    const metrics = (await p.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_cache_requests_total', { kind: 'blob', result: 'hit' })).toBe(4);
    expect(sample(metrics, 'mirrorgate_blob_bytes_sent_total', { source: 'cache' })).toBe(big.content.length + 1000 + 10);
    expect(sample(metrics, 'mirrorgate_blob_cache_bytes')).toBe(big.content.length);
  });

  it('a cold Range request fills the cache and is served from the verified file', async () => {
    const p = await start();
    const part = await p.get(path(big.digest), { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.body.equals(big.content.subarray(0, 100))).toBe(true);
    expect(m1.requests.filter((r) => r.url.includes(big.digest)).every((r) => r.headers.range === undefined)).toBe(true);
    await p.get(path(big.digest));
    expect(upstreamGets(big.digest)).toBe(1);
  });

  it('a reload that blocks the registry blocks its cached blobs', async () => {
    const p = await start([]);
    expect((await p.get(path(small.digest))).status).toBe(200);
    const rulesFile = join(p.proxy.holder.paths[0] as string, 'rules.yaml');
    writeFileSync(rulesFile, `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${source.host}"]\n    blockedRegistries: ["${source.host}"]\n`);
    expect((await p.proxy.holder.reload()).ok).toBe(true);
    const denied = await p.get(path(small.digest));
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body.toString()).errors[0].code).toBe('DENIED');
    expect((await p.get(path(small.digest), {}, 'HEAD')).status).toBe(403);
  });
});

describe('the cache on disk', () => {
  it('survives a restart: the index is rebuilt from the directory, temporary and foreign files are removed', async () => {
    const first = await start();
    await first.get(path(small.digest));
    await untilFillsEnded(first, 1);
    await first.close();
    proxies.splice(0);
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'tmp', 'partial'), 'half a blob');
    writeFileSync(join(dir, 'blobs', 'sha256', 'not-a-digest'), 'junk');
    const gets = upstreamGets(small.digest);
    const second = await start();
    const res = await second.get(path(small.digest));
    expect(res.body.equals(small.content)).toBe(true);
    expect(upstreamGets(small.digest)).toBe(gets);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([small.digest.slice(7)]);
  });

  it('evicts the least recently used blob beyond max_bytes', async () => {
    const p = await start(undefined, { max_bytes: big.content.length + 100 });
    await p.get(path(small.digest));
    // Files are named in the order their fills end, which the responses do not wait for.
    await untilFillsEnded(p, 1);
    await p.get(path(big.digest));
    await untilFillsEnded(p, 2);
    const metrics = (await p.get('/metrics')).body.toString();
    expect(sample(metrics, 'mirrorgate_blob_cache_evictions_total')).toBe(1);
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([big.digest.slice(7)]);
  });
});

describe('a wrong copy during a fill', () => {
  let hostile: LyingBlobs;
  beforeEach(async () => {
    hostile = await new LyingBlobs(serving(big.content, { wrong: true })).start();
  });
  afterEach(() => hostile.stop());

  it('a small blob: the fill moves on to the next endpoint and no client sees an error', async () => {
    hostile.answer = serving(small.content, { wrong: true });
    const p = await start([hostile.host, m2.host]);
    const bodies = await Promise.all(Array.from({ length: 8 }, () => p.get(path(small.digest))));
    for (const b of bodies) expect(b.body.equals(small.content)).toBe(true);
    expect(hostile.count(small.digest)).toBe(1);
  });

  it('a large blob: clients already streaming get a broken response, their retry is served by the corrected copy', async () => {
    const p = await start([hostile.host, m2.host], { verify_before_serve_bytes: 1024 });
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => request(`${p.url}${path(big.digest)}`).then(async (r) => Buffer.from(await r.body.arrayBuffer())).then((b) => sha(b), () => 'broken')));
    for (const o of outcomes) expect([big.digest, 'broken']).toContain(o);
    const retry = await p.get(path(big.digest));
    expect(retry.body.equals(big.content)).toBe(true);
    expect(hostile.count(big.digest)).toBe(1);
    await untilFillsEnded(p, 1);
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([big.digest.slice(7)]);
  });
});
