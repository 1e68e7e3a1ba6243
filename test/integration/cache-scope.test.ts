// Answers not verified against a digest (a tag's digest, a "not found", a
// fetch in flight, a stale copy) are served only to requests walking the
// endpoints that produced them under the rules in force now: an unqualified
// name does not answer for the qualified one (short-name squatting), and
// nothing learnt under rules a reload replaced is served under the new ones.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { heldRegistry, type HeldRegistry } from '../fakes/held-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const evil = makeImage(801);
const good = makeImage(802);
let m1: FakeRegistry; // the mirror a reload removes or blocks
let m2: FakeRegistry;
let source: FakeRegistry;
let held: HeldRegistry | undefined;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  [m1, m2, source] = await Promise.all([fakeRegistry(), fakeRegistry(), fakeRegistry()]);
  pushImage(m1, 'ns/app', evil, 'v1');
  pushImage(m2, 'ns/app', good, 'v1');
  pushImage(source, 'ns/app', good, 'v1');
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await held?.close();
  held = undefined;
  await Promise.all([m1, m2, source].map((r) => r.stop()));
});

/** ITMS tag mirrors for `source/ns`, optionally with blocked registries. */
function rules(mirrors: string[], blocked: string[] = []): string {
  const text = mirrorRules(`${source.host}/ns`, [], mirrors.map((m) => `${m}/ns`), { insecure: [m1.host, m2.host, ...(held ? [held.host] : [])] })['rules.yaml'] as string;
  return blocked.length ? text.replace('registrySources:\n', `registrySources:\n    blockedRegistries: [${blocked.map((b) => `"${b}"`).join(', ')}]\n`) : text;
}

let skew = 0;
const clock = { now: () => performance.now() + skew };

/** Starts the proxy (manifest cache on) over `rules.yaml`; returns the file a reload rereads. */
async function start(first: string, cache: Record<string, unknown> = {}): Promise<string> {
  skew = 0;
  proxy = await startTestProxy({ 'rules.yaml': first }, { aliases: { src: source.host }, headers_timeout_ms: 10_000 }, { cache: { max_bytes: 16 << 20, tag_ttl_ms: 30_000, ...cache } }, { clock });
  return join(proxy.proxy.holder.paths[0] as string, 'rules.yaml');
}

async function reload(file: string, text: string): Promise<void> {
  writeFileSync(file, text);
  expect((await (proxy as TestProxy).proxy.holder.reload()).ok).toBe(true);
}

const tagV1 = '/v2/src/ns/app/manifests/v1';
const answerOf = (r: { status: number; headers: Record<string, string> }) => ({ status: r.status, digest: r.headers['docker-content-digest'], by: r.headers['x-mirrorgate-served-by'] ?? '' });

describe('unqualified names and the tag cache', () => {
  it('a qualified pull of the default registry is not answered with a search registry\'s tag, nor the other way round', async () => {
    const [squatter, home] = [m1, m2]; // m1 holds `evil`, m2 holds `good` as library/tool:v1
    pushImage(squatter, 'library/tool', evil, 'v1');
    pushImage(home, 'library/tool', good, 'v1');
    const image = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${squatter.host}", "${home.host}"]\n`;
    const search = `unqualified-search-registries = ["${squatter.host}", "${home.host}"]\n`;
    proxy = await startTestProxy({ 'image.yaml': image, 'search.toml': search }, { default_registry: home.host, aliases: { home: home.host } }, { cache: { max_bytes: 16 << 20, tag_ttl_ms: 30_000 } });
    // As CRI-O resolves a short name: the first search registry that has it.
    expect((await proxy.get('/v2/library/tool/manifests/v1')).headers['docker-content-digest']).toBe(evil.manifestDigest);
    expect(answerOf(await proxy.get('/v2/home/library/tool/manifests/v1'))).toEqual({ status: 200, digest: good.manifestDigest, by: expect.stringContaining(home.host) });
    // Each walk keeps its own answer, cached.
    const before = squatter.count('/manifests/v1') + home.count('/manifests/v1');
    expect((await proxy.get('/v2/library/tool/manifests/v1')).headers['docker-content-digest']).toBe(evil.manifestDigest);
    expect((await proxy.get('/v2/home/library/tool/manifests/v1')).headers['docker-content-digest']).toBe(good.manifestDigest);
    expect(squatter.count('/manifests/v1') + home.count('/manifests/v1')).toBe(before);
  });
});

describe('cached and shared tag answers vs a reload', () => {
  it('a reload that leaves the walk as it was keeps the cached tag', async () => {
    const file = await start(rules([m1.host, m2.host]));
    expect((await proxy?.get(tagV1))?.headers['docker-content-digest']).toBe(evil.manifestDigest);
    await reload(file, rules([m1.host, m2.host]));
    const asked = m1.count('/manifests/v1');
    expect(answerOf(await (proxy as TestProxy).get(tagV1))).toEqual({ status: 200, digest: evil.manifestDigest, by: expect.stringMatching(/^cache \(from /) });
    expect(m1.count('/manifests/v1')).toBe(asked);
  });

  it('a tag learnt from a mirror a reload REMOVED is not served from the cache', async () => {
    const file = await start(rules([m1.host, m2.host]));
    expect((await proxy?.get(tagV1))?.headers['docker-content-digest']).toBe(evil.manifestDigest);
    await reload(file, rules([m2.host]));
    expect(answerOf(await (proxy as TestProxy).get(tagV1))).toEqual({ status: 200, digest: good.manifestDigest, by: expect.stringContaining(m2.host) });
  });

  it('a tag learnt from a mirror a reload BLOCKED is not served from the cache, and the mirror is not asked', async () => {
    const file = await start(rules([m1.host, m2.host]));
    expect((await proxy?.get(tagV1))?.headers['docker-content-digest']).toBe(evil.manifestDigest);
    await reload(file, rules([m1.host, m2.host], [m1.host]));
    const asked = m1.requests.length;
    expect(answerOf(await (proxy as TestProxy).get(tagV1))).toEqual({ status: 200, digest: good.manifestDigest, by: expect.stringContaining(m2.host) });
    expect(m1.requests.length).toBe(asked);
  });

  it('stale-if-error does not serve a removed mirror\'s tag when the endpoints in force fail', async () => {
    const file = await start(rules([m1.host, m2.host]), { tag_ttl_ms: 1000, stale_if_error: true, stale_max_ms: 600_000 });
    expect((await proxy?.get(tagV1))?.headers['docker-content-digest']).toBe(evil.manifestDigest);
    await reload(file, rules([m2.host]));
    m2.faults = { status: 503 };
    source.faults = { status: 503 };
    skew += 5000; // past tag_ttl_ms
    const after = answerOf(await (proxy as TestProxy).get(tagV1));
    expect(after.status).toBeGreaterThanOrEqual(500);
    expect(after.digest).toBeUndefined();
    expect(after.by).not.toContain(m1.host);
  });

  it('a not-found answer cached under the old rules does not hide a mirror a reload added', async () => {
    pushImage(m2, 'ns/app', good, 'v2'); // only m2 has v2
    const file = await start(rules([m1.host]), { negative_ttl_ms: 600_000 });
    expect((await proxy?.get('/v2/src/ns/app/manifests/v2'))?.status).toBe(404);
    await reload(file, rules([m1.host, m2.host]));
    expect(answerOf(await (proxy as TestProxy).get('/v2/src/ns/app/manifests/v2'))).toEqual({ status: 200, digest: good.manifestDigest, by: expect.stringContaining(m2.host) });
  });

  it('a request made after a reload does not join a fetch still running under the old rules', async () => {
    held = await heldRegistry(m1.host, '/manifests/v1');
    const file = await start(rules([held.host, m2.host]), { max_bytes: 1 }); // cache off: only the shared fetch is at play
    const before = (proxy as TestProxy).get(tagV1);
    await held.arrived; // the fetch from the mirror is under way, and stays so
    await reload(file, rules([held.host, m2.host], [held.host]));
    const after = await (proxy as TestProxy).get(tagV1);
    held.release();
    expect(answerOf(after)).toEqual({ status: 200, digest: good.manifestDigest, by: expect.stringContaining(m2.host) });
    // The request made under the old rules keeps their answer.
    expect((await before).headers['docker-content-digest']).toBe(evil.manifestDigest);
  });
});
