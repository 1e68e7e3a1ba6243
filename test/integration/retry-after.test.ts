// Retry-After from a hostile or confused upstream: an HTTP-date is read against
// the wall clock, delta-seconds are a duration on the monotonic clock, and
// both are capped by upstream.max_retry_after_ms, as is what clients are told.
// Both clocks are driven by the test; nothing sleeps.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/config/settings.js';
import { startProxy, type Proxy } from '../../src/cli/start-proxy.js';
import { createLogger } from '../../src/observability/logger.js';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, writeRules } from '../helpers/proxy.js';
import { rmSync } from 'node:fs';
import { request } from 'undici';

const image = makeImage(91);
const WALL_START = Date.UTC(2026, 10, 23, 12, 0, 0);
let m1: FakeRegistry, m2: FakeRegistry, source: FakeRegistry;
let proxy: Proxy | undefined;
let rulesDir: string | undefined;
const mono = { t: 5_000, now: () => mono.t };
const wall = { t: WALL_START, now: () => wall.t };

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  for (const r of [m1, m2, source]) pushImage(r, 'ns/app', image, 'v1');
  mono.t = 5_000;
  wall.t = WALL_START;
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

async function start(upstream: Record<string, unknown> = {}): Promise<string> {
  const mirrors = [`${m1.host}/ns`, `${m2.host}/ns`];
  const dir = writeRules(mirrorRules(`${source.host}/ns`, mirrors, mirrors));
  rulesDir = dir;
  const settings = settingsFrom(
    { server: { listen: ['127.0.0.1:0'] }, rules: { paths: [dir] }, upstream: { aliases: { src: source.host }, ...upstream }, hedge: { mode: 'off' }, cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false } },
    {},
    dir,
    'test settings',
  );
  proxy = await startProxy(settings, { log: createLogger('silent'), clock: mono, wallClock: wall, watch: false });
  return proxy.urls[0] as string;
}

async function pull(url: string): Promise<{ status: number; retryAfter?: string }> {
  const res = await request(`${url}/v2/src/ns/app/manifests/v1`);
  await res.body.dump();
  const retryAfter = res.headers['retry-after'];
  return { status: res.statusCode, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) };
}

const m1Asked = () => m1.count('/manifests/v1');

describe('Retry-After', () => {
  it('as delta-seconds of 100000000 keeps the mirror out only up to upstream.max_retry_after_ms', async () => {
    m1.faults = { status: 429, retryAfter: '100000000' };
    const url = await start({ max_retry_after_ms: 2_000 });
    expect((await pull(url)).status).toBe(200);
    expect((await pull(url)).status).toBe(200);
    expect(m1Asked()).toBe(1);
    mono.t += 2_001;
    expect((await pull(url)).status).toBe(200);
    expect(m1Asked()).toBe(2);
  });

  it('as an HTTP-date is measured from the wall clock, then waited out on the monotonic one', async () => {
    m1.faults = { status: 429, retryAfter: new Date(WALL_START + 10_000).toUTCString() };
    const url = await start();
    await pull(url);
    mono.t += 9_000;
    await pull(url);
    expect(m1Asked()).toBe(1);
    mono.t += 1_001;
    await pull(url);
    expect(m1Asked()).toBe(2);
  });

  it('passes a capped wait on to the client when every endpoint asks to back off', async () => {
    for (const r of [m1, m2, source]) r.faults = { status: 429, retryAfter: '100000000' };
    const url = await start({ max_retry_after_ms: 7_000 });
    expect(await pull(url)).toEqual({ status: 429, retryAfter: '7' });
    // Still within the wait: every endpoint is skipped, and the client is told what is left.
    mono.t += 3_000;
    expect(await pull(url)).toEqual({ status: 429, retryAfter: '4' });
  });
});
