// Policy: a tag -> digest mapping learnt from a mirror stays in the manifest
// cache after a reload removes (or blocks) that mirror, and is served for
// cache.tag_ttl_ms as "cache (from <removed mirror>)". The content store only
// checks that the new plan has *some* endpoint (store/content-store.ts admit),
// not that the cached entry came from an endpoint of that plan. Likewise a
// request arriving after a reload joins a fetch still running under the old
// rules (store/manifests.ts flight key has no rules generation).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const evil = makeImage(801);
const good = makeImage(802);
let m1: FakeRegistry;
let m2: FakeRegistry;
let source: FakeRegistry;
let proxy: TestProxy;

const rules = (mirrors: FakeRegistry[], blocked: string[] = []) => {
  const text = mirrorRules(`${source.host}/ns`, [], mirrors.map((m) => `${m.host}/ns`), { insecure: [m1.host, m2.host] })['rules.yaml'] as string;
  return blocked.length ? text.replace('registrySources:\n', `registrySources:\n    blockedRegistries: [${blocked.map((b) => `"${b}"`).join(', ')}]\n`) : text;
};

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  pushImage(m1, 'ns/app', evil, 'v1'); // the mirror that later gets removed / blocked
  pushImage(m2, 'ns/app', good, 'v1');
  pushImage(source, 'ns/app', good, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

async function start(cache: Record<string, unknown> = {}): Promise<string> {
  // The manifest cache on, as in the example config (tag_ttl_ms default 30 s).
  proxy = await startTestProxy({ 'rules.yaml': rules([m1, m2]) }, { aliases: { src: source.host } }, { cache: { max_bytes: 16 * 1024 * 1024, ...cache } });
  return join(proxy.proxy.holder.paths[0] as string, 'rules.yaml');
}

describe('manifest tag cache vs a reload', () => {
  it('a tag learnt from a mirror that a reload REMOVED is not served from the cache', async () => {
    const file = await start();
    const first = await proxy.get('/v2/src/ns/app/manifests/v1');
    expect(first.headers['docker-content-digest']).toBe(evil.manifestDigest);
    writeFileSync(file, rules([m2]));
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    const after = await proxy.get('/v2/src/ns/app/manifests/v1');
    // Required: the rules in force now name only m2 (and the source): the answer is theirs.
    expect({ digest: after.headers['docker-content-digest'], by: after.headers['x-mirrorgate-served-by'] }).toEqual({ digest: good.manifestDigest, by: expect.not.stringContaining(m1.host) });
  });

  it('a tag learnt from a mirror that a reload BLOCKED is not served from the cache', async () => {
    const file = await start();
    expect((await proxy.get('/v2/src/ns/app/manifests/v1')).headers['docker-content-digest']).toBe(evil.manifestDigest);
    writeFileSync(file, rules([m1, m2], [m1.host]));
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    const m1Before = m1.requests.length;
    const after = await proxy.get('/v2/src/ns/app/manifests/v1');
    expect(m1.requests.length).toBe(m1Before);
    expect({ digest: after.headers['docker-content-digest'], by: after.headers['x-mirrorgate-served-by'] }).toEqual({ digest: good.manifestDigest, by: expect.not.stringContaining(m1.host) });
  });

  it('stale-if-error does not serve a removed mirror\'s tag when the endpoints in force fail', async () => {
    const file = await start({ tag_ttl_ms: 1, stale_if_error: true });
    expect((await proxy.get('/v2/src/ns/app/manifests/v1')).headers['docker-content-digest']).toBe(evil.manifestDigest);
    writeFileSync(file, rules([m2]));
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    m2.faults = { status: 503 };
    source.faults = { status: 503 };
    await new Promise((r) => setTimeout(r, 5)); // past tag_ttl_ms = 1
    const after = await proxy.get('/v2/src/ns/app/manifests/v1');
    // Required: an error (the endpoints in force failed), not m1's tag, which only a mirror no longer in the rules vouched for.
    expect({ status: after.status, by: after.headers['x-mirrorgate-served-by'] ?? '' }).toEqual({ status: 503, by: expect.not.stringContaining(m1.host) });
  });

  it('a request made after a reload does not join a fetch still running under the old rules', async () => {
    const file = await start({ max_bytes: 1 }); // cache off: only coalescing is at play
    m1.faults = { delayMs: 800 };
    const before = proxy.get('/v2/src/ns/app/manifests/v1');
    await new Promise((r) => setTimeout(r, 200)); // the fetch from m1 is under way
    writeFileSync(file, rules([m2], [m1.host]));
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    const after = await proxy.get('/v2/src/ns/app/manifests/v1');
    await before;
    // Required: the rules in force when it arrived (m1 blocked) decide what it gets.
    expect({ digest: after.headers['docker-content-digest'], by: after.headers['x-mirrorgate-served-by'] }).toEqual({ digest: good.manifestDigest, by: expect.not.stringContaining(m1.host) });
  });
});
