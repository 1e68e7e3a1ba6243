// A mirror that drips a blob must not hold a pull: below upstream.min_bytes_per_s
// over upstream.stall_window_ms the stream fails over with Range to the next
// endpoint, and the stall counts against the dripping endpoint's health.
// Every pull also ends by upstream.pull_deadline_ms.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { dripRegistry, type DripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(31, [200_000]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let drip: DripRegistry;
let good: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

afterEach(async () => {
  await proxy.close();
  await Promise.all([drip.stop(), good.stop(), source.stop()]);
});

async function scene(upstream: Record<string, unknown>, mirrors: 'drip-then-good' | 'drip-only', blobs: Record<string, unknown> = {}) {
  drip = await dripRegistry(layer.content, { bytes: 1, everyMs: 20 });
  [good, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
  pushImage(good, 'ns/app', image, 'v1');
  const list = mirrors === 'drip-only' ? [`${drip.host}/ns`] : [`${drip.host}/ns`, `${good.host}/ns`];
  // The idle timeout is long: only the stall watchdog or the deadline can end the drip.
  const cache = { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs };
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, list, [], { never: true }), { aliases: { src: source.host }, body_idle_timeout_ms: 60_000, ...upstream }, { cache });
}

describe('stalled upstream bodies', () => {
  it('a dripping mirror is left mid-body for the next endpoint, resumed with Range; the client gets one verified blob', async () => {
    await scene({ min_bytes_per_s: 10_000, stall_window_ms: 200 }, 'drip-then-good');
    const res = await proxy.get(path);
    expect(res.status).toBe(200);
    expect(sha(res.body)).toBe(layer.digest);
    const resumed = good.requests.find((r) => r.url.includes(layer.digest));
    expect(resumed?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    const attempts = proxy.attemptsFor(path)[0] ?? [];
    expect(attempts.map((a) => a.outcome)).toEqual(['ok', 'timeout', 'ok']);
    expect(attempts[1]?.message).toContain('stalled');
    // The dripping connection was let go, not left to drip on.
    await vi.waitFor(() => expect(drip.openSockets()).toBe(0), { timeout: 5_000, interval: 20 });
  });

  it('stalls count against the endpoint: after the failure threshold its circuit opens and it is skipped', async () => {
    await scene({ min_bytes_per_s: 10_000, stall_window_ms: 200 }, 'drip-then-good');
    for (let i = 0; i < 3; i++) expect(sha((await proxy.get(path)).body)).toBe(layer.digest);
    expect(drip.requests()).toBe(3);
    const res = await proxy.get(path);
    expect(sha(res.body)).toBe(layer.digest);
    expect(drip.requests()).toBe(3);
    expect(proxy.attemptsFor(path)[3]?.[0]).toMatchObject({ outcome: 'circuit_open' });
  });

  it('a Range request without the blob cache, stalled mid-body: its broken answer logs the stall as an attempt', async () => {
    await scene({ min_bytes_per_s: 10_000, stall_window_ms: 200 }, 'drip-only');
    const res = await request(`${proxy.url}${path}`, { headers: { range: 'bytes=0-99999' } });
    expect(res.statusCode).toBe(206);
    await expect(res.body.arrayBuffer()).rejects.toThrow();
    await vi.waitFor(() => expect(proxy.attemptsFor(path)[0]?.map((a) => a.outcome)).toEqual(['ok', 'timeout']), { timeout: 5_000, interval: 20 });
    expect(proxy.attemptsFor(path)[0]?.[1]?.message).toMatch(/stalled.*after byte \d+ of the span/);
  });

  it('a pull that outlives upstream.pull_deadline_ms is ended and its upstream request aborted', async () => {
    // The drip is above this minimum rate: only the deadline ends it. The blob streams as it comes
    // (no verify-before-serve), so the deadline falls after the headers and breaks the body.
    await scene({ min_bytes_per_s: 1, stall_window_ms: 200, pull_deadline_ms: 500 }, 'drip-only', { verify_before_serve_bytes: 0 });
    const res = await request(`${proxy.url}${path}`);
    expect(res.statusCode).toBe(200);
    await expect(res.body.arrayBuffer()).rejects.toThrow();
    await vi.waitFor(() => expect(drip.openSockets()).toBe(0), { timeout: 5_000, interval: 20 });
  });

  it('a pull past its deadline before any byte was sent answers 504', async () => {
    await scene({ pull_deadline_ms: 300, headers_timeout_ms: 60_000 }, 'drip-only');
    await proxy.close();
    const hung = await fakeRegistry();
    hung.faults = { hang: true };
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${hung.host}/ns`], []), { aliases: { src: source.host }, headers_timeout_ms: 60_000, pull_deadline_ms: 300 });
    const res = await proxy.get(path);
    await hung.stop();
    expect(JSON.parse(res.body.toString()).errors[0]).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect(res.status).toBe(504);
  });
});
