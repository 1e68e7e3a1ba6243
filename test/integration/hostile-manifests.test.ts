// Manifests from hostile upstreams over real sockets: schema-1 forgeries,
// schema 1 refused by default, deeply nested bodies under concurrency, an
// unreadable Link header.
import { afterEach, describe, expect, it } from 'vitest';
import { hostileRegistry, type HostileRegistry } from '../fakes/hostile-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { SCHEMA1_SIGNED, signedSchema1, splitForgery, tailForgery } from '../helpers/schema1.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});
const fake = async (): Promise<HostileRegistry> => {
  const r = await hostileRegistry();
  cleanup.push(() => r.close());
  return r;
};
const proxy = async (rules: Record<string, string>, upstream: Record<string, unknown>, sections: Record<string, Record<string, unknown>> = {}): Promise<TestProxy> => {
  const p = await startTestProxy(rules, upstream, sections);
  cleanup.push(() => p.close());
  return p;
};
const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as { errors: { code: string; message: string }[] }).errors[0];

const genuine = signedSchema1({ name: 'ns/app', tag: 'v1', architecture: 'amd64', fsLayers: [{ blobSum: `sha256:${'a'.repeat(64)}` }], history: [{ v1Compatibility: '{}' }] });
const evil = { fsLayers: [{ blobSum: `sha256:${'e'.repeat(64)}` }] };
const s1 = (body: Buffer) => ({ body, headers: { 'content-type': SCHEMA1_SIGNED } });

describe('schema 1', () => {
  it('is refused by default: declined from that endpoint, failover, and MANIFEST_INVALID when none has another', async () => {
    const [mirror, source] = [await fake(), await fake()];
    mirror.answers.set(`/v2/ns/app/manifests/${genuine.digest}`, s1(genuine.body));
    const p = await proxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } });
    const res = await p.get(`/v2/src/ns/app/manifests/${genuine.digest}`);
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringContaining('upstream.allow_schema1') });
    expect(p.attemptsFor(`/v2/src/ns/app/manifests/${genuine.digest}`)[0]?.map((a) => a.outcome)).toEqual(['declined', 'not_found']);

    // An endpoint that has a schema-2 manifest under the tag serves it after the refused one.
    mirror.answers.set('/v2/ns/app/manifests/v1', s1(genuine.body));
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    source.answers.set('/v2/ns/app/manifests/v1', { body: index, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    const tagged = await proxy(mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`]), { aliases: { src: source.host } });
    const served = await tagged.get('/v2/src/ns/app/manifests/v1');
    expect(served.status).toBe(200);
    expect(served.body.toString()).toBe(index);
  });

  it.each(['application/json', 'text/plain'])('served as %s is still schema 1: refused by default, verified by its payload when allowed', async (type) => {
    const source = await fake();
    source.answers.set(`/v2/ns/app/manifests/${genuine.digest}`, { body: genuine.body, headers: { 'content-type': type } });
    const refused = await proxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const res = await refused.get(`/v2/src/ns/app/manifests/${genuine.digest}`);
    expect(res.status).toBe(400);
    expect(errorOf(res.body)?.code).toBe('MANIFEST_INVALID');
    const allowed = await proxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, allow_schema1: true });
    const served = await allowed.get(`/v2/src/ns/app/manifests/${genuine.digest}`);
    expect(served.status).toBe(200);
    expect(served.body.equals(genuine.body)).toBe(true);
    // A forgery under the same label is no easier.
    source.answers.set(`/v2/ns/app/manifests/${genuine.digest}`, { body: tailForgery(genuine.payload, evil), headers: { 'content-type': type } });
    expect((await allowed.get(`/v2/src/ns/app/manifests/${genuine.digest}`)).status).toBe(502);
  });

  it.each([
    ['the genuine payload in formatTail', tailForgery(genuine.payload, evil)],
    ['evil members between the genuine head and formatTail', splitForgery(genuine.payload, evil)],
  ])('when allowed, refuses a forgery with %s as a digest mismatch and never caches it for another repository', async (_name, forged) => {
    const [hostile, source] = [await fake(), await fake()];
    hostile.answers.set(`/v2/evil/poison/manifests/${genuine.digest}`, s1(forged));
    source.answers.set(`/v2/ns/app/manifests/${genuine.digest}`, s1(genuine.body));
    const p = await proxy(mirrorRules(`${source.host}/ns`, [], [], { insecure: [hostile.host] }), { aliases: { src: source.host, bad: hostile.host }, allow: [hostile.host], allow_schema1: true }, { cache: { max_bytes: 1 << 20, tag_ttl_ms: 60_000 } });
    const poisoned = await p.get(`/v2/bad/evil/poison/manifests/${genuine.digest}`);
    expect(poisoned.status).toBe(502);
    expect(p.attemptsFor(`/v2/bad/evil/poison/manifests/${genuine.digest}`)[0]?.[0]?.outcome).toBe('digest_mismatch');
    const other = await p.get(`/v2/src/ns/app/manifests/${genuine.digest}`);
    expect(other.status).toBe(200);
    expect(other.body.equals(genuine.body)).toBe(true);
    expect(other.headers['x-mirrorgate-served-by']).not.toContain('cache');
  });
});

describe('deeply nested bodies', () => {
  const nested = Buffer.from(`${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}`);

  it('answer 30 concurrent requests with declined, holding no more manifest bytes than the buffer allows', async () => {
    const mirror = await fake();
    const source = await fake();
    for (let i = 0; i < 30; i++) mirror.answers.set(`/v2/ns/app/manifests/t${i}`, s1(nested));
    const cap = 8 * 1024 * 1024;
    const p = await proxy(mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`]), { aliases: { src: source.host }, allow_schema1: true, manifest_buffer_bytes: cap, headers_timeout_ms: 30_000 });
    // Declined content leaves the circuit closed, so every request meets the body here.
    const rssBefore = process.memoryUsage().rss;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => p.get(`/v2/src/ns/app/manifests/t${i}`)));
    const growth = process.memoryUsage().rss - rssBefore;
    const gate = p.proxy.pull.manifestBuffer;
    expect(gate.peak).toBeGreaterThan(0);
    expect(gate.peak).toBeLessThanOrEqual(cap);
    expect(gate.inUse).toBe(0);
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(502));
    for (let i = 0; i < 30; i++) {
      const [first] = p.attemptsFor(`/v2/src/ns/app/manifests/t${i}`)[0] ?? [];
      expect(first).toMatchObject({ outcome: 'declined', message: expect.stringContaining('nests deeper than 64 levels') });
    }
    // Generous: 30 bodies of 4 MB are 120 MB as bytes alone; parsed they took 892 MB.
    expect(growth).toBeLessThan(400 * 1024 * 1024);
  });

  it('labelled schema 1 are refused unread while schema 1 is not allowed', async () => {
    const [mirror, source] = [await fake(), await fake()];
    mirror.answers.set('/v2/ns/app/manifests/v1', s1(nested));
    const p = await proxy(mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`]), { aliases: { src: source.host } });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(400);
    expect(p.proxy.pull.manifestBuffer.peak).toBe(0);
  });

  it('in a referrers tag are declined from that endpoint, not a crash reported as refused', async () => {
    const source = await fake();
    const digest = `sha256:${'b'.repeat(64)}`;
    source.answers.set(`/v2/ns/app/manifests/sha256-${'b'.repeat(64)}`, { body: nested, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' } });
    const p = await proxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const res = await p.get(`/v2/src/ns/app/referrers/${digest}`);
    expect(res.status).toBe(502);
    expect(p.attemptsFor(`/v2/src/ns/app/referrers/${digest}`)[0]?.[0]).toMatchObject({ outcome: 'declined', message: expect.stringContaining('nests deeper') });
  });
});

describe('tag lists', () => {
  it('with an unreadable Link header are served without a next page, not counted as a refused endpoint', async () => {
    const source = await fake();
    source.answers.set('/v2/ns/app/tags/list', { body: JSON.stringify({ name: 'ns/app', tags: ['a', 'b'] }), headers: { 'content-type': 'application/json', link: '<http://[/v2/ns/app/tags/list?last=b>; rel="next"' } });
    const p = await proxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const res = await p.get('/v2/src/ns/app/tags/list');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ name: 'src/ns/app', tags: ['a', 'b'] });
    expect(res.headers.link).toBeUndefined();
  });
});
