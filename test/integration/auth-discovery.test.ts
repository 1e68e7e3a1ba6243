// Token auth, redirects, tags pagination, referrers, and repository affinity.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(21);
const layer = image.layers[0] as { digest: string; content: Buffer };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});
async function registries(n: number): Promise<FakeRegistry[]> {
  const rs = await Promise.all(Array.from({ length: n }, () => fakeRegistry()));
  cleanup.push(async () => void (await Promise.all(rs.map((r) => r.stop()))));
  return rs;
}
async function proxyFor(rules: Record<string, string>, upstream: Record<string, unknown>): Promise<TestProxy> {
  const p = await startTestProxy(rules, upstream);
  cleanup.unshift(() => p.close());
  return p;
}

describe('registry token auth', () => {
  it('follows the Bearer challenge with credentials from auth.json, caches the token, and serves', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { tokenAuth: { username: 'alice', password: 's3cret' } };
    const authFile = join(tempDir('auth'), 'auth.json');
    writeFileSync(authFile, JSON.stringify({ auths: { [`${source.host}/ns`]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, credentials: authFile });
    for (let i = 0; i < 3; i++) expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    expect((await p.get(`/v2/src/ns/app/blobs/${layer.digest}`)).status).toBe(200);
    expect(source.count('/token')).toBe(1);
    const tokenRequest = source.requests.find((r) => r.url.startsWith('/token'));
    expect(tokenRequest?.url).toContain('service=fake');
    expect(tokenRequest?.url).toContain(encodeURIComponent('repository:x:pull'));
  });

  it('concurrent first requests share one token fetch', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { tokenAuth: {}, delayMs: 50 };
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const statuses = await Promise.all(Array.from({ length: 8 }, () => p.get('/v2/src/ns/app/manifests/v1').then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(source.count('/token')).toBe(1);
  });

  it('without credentials the upstream refusal becomes DENIED, never a bare 401', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { tokenAuth: { username: 'alice', password: 's3cret' } };
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('DENIED');
  });
});

describe('redirects', () => {
  it('follows a 307 to object storage without sending the registry token there', async () => {
    const [source, storage] = await registries(2) as [FakeRegistry, FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    storage.putBlob(layer.content);
    source.faults = { tokenAuth: {}, redirectBlobsTo: `http://${storage.host}` };
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], [], { insecure: [storage.host] }), { aliases: { src: source.host }, allow: [storage.host] });
    const res = await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(layer.content)).toBe(true);
    const atStorage = storage.requests.find((r) => r.url.includes(layer.digest));
    expect(atStorage).toBeDefined();
    expect(atStorage?.headers.authorization).toBeUndefined();
    expect(source.requests.some((r) => r.headers.authorization === 'Bearer good-token')).toBe(true);
  });
});

describe('tags/list', () => {
  it('paginates with n/last and rewrites Link into the client namespace', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    for (const tag of ['a', 'b', 'c', 'd', 'e']) pushImage(source, 'ns/app', image, tag);
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const first = await p.get('/v2/src/ns/app/tags/list?n=2');
    expect(JSON.parse(first.body.toString())).toEqual({ name: 'src/ns/app', tags: ['a', 'b'] });
    expect(first.headers.link).toBe('</v2/src/ns/app/tags/list?last=b&n=2>; rel="next"');
    const next = await p.get((/<([^>]+)>/.exec(first.headers.link ?? '') as RegExpExecArray)[1] as string);
    expect(JSON.parse(next.body.toString()).tags).toEqual(['c', 'd']);
    const viaNs = await p.get(`/v2/ns/app/tags/list?n=2&ns=${source.host}`);
    expect(viaNs.headers.link).toBe(`</v2/ns/app/tags/list?last=b&n=2&ns=${encodeURIComponent(source.host)}>; rel="next"`);
    expect(JSON.parse(viaNs.body.toString()).name).toBe('ns/app');
  });

  it('n=0 is an empty list without Link; a bad n is PAGINATION_NUMBER_INVALID', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'a');
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const zero = await p.get('/v2/src/ns/app/tags/list?n=0');
    expect(JSON.parse(zero.body.toString())).toEqual({ name: 'src/ns/app', tags: [] });
    expect(zero.headers.link).toBeUndefined();
    const bad = await p.get('/v2/src/ns/app/tags/list?n=-1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });
});

describe('referrers', () => {
  it('falls back to the referrers tag schema where the upstream lacks the API, filtering by artifactType', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 1, artifactType: 'application/vnd.example.sbom' },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'2'.repeat(64)}`, size: 1, artifactType: 'application/vnd.example.sig' },
      ],
    }));
    source.putManifest('ns/app', index, 'application/vnd.oci.image.index.v1+json', image.manifestDigest.replace(':', '-'));
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const all = await p.get(`/v2/src/ns/app/referrers/${image.manifestDigest}`);
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('application/vnd.oci.image.index.v1+json');
    expect(JSON.parse(all.body.toString()).manifests).toHaveLength(2);
    expect(all.headers['oci-filters-applied']).toBeUndefined();
    const sboms = await p.get(`/v2/src/ns/app/referrers/${image.manifestDigest}?artifactType=application/vnd.example.sbom`);
    expect(JSON.parse(sboms.body.toString()).manifests.map((m: { artifactType: string }) => m.artifactType)).toEqual(['application/vnd.example.sbom']);
    expect(sboms.headers['oci-filters-applied']).toBe('artifactType');
    const none = await p.get(`/v2/src/ns/app/referrers/${image.config.digest}`);
    expect(JSON.parse(none.body.toString()).manifests).toEqual([]);
  });
});

describe('repository affinity after a tag-only mirror', () => {
  it('digest requests that follow a tag go first to the endpoint that served the tag', async () => {
    // Disconnected cluster: the tag mirror holds everything, the digest mirror nothing, the source is down.
    const [tagMirror, digestMirror, source] = await registries(3) as [FakeRegistry, FakeRegistry, FakeRegistry];
    pushImage(tagMirror, 'ns/app', image, 'v1');
    await source.stop();
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [`${digestMirror.host}/ns`], [`${tagMirror.host}/ns`]), { aliases: { src: source.host } });
    const tag = await p.get('/v2/src/ns/app/manifests/v1');
    expect(tag.headers['x-mirrorgate-served-by']).toBe(`${tagMirror.host}/ns/app:v1`);
    const manifest = await p.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`);
    expect(manifest.status).toBe(200);
    const blob = await p.get(`/v2/src/ns/app/blobs/${layer.digest}`);
    expect(blob.status).toBe(200);
    expect(blob.body.equals(layer.content)).toBe(true);
    expect(digestMirror.count('/blobs/')).toBe(0);
  });
});

describe('HEAD manifests', () => {
  it('carries the digest, type and length a GET would, with the client Accept passed upstream', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    const head = await p.get('/v2/src/ns/app/manifests/v1', { accept }, 'HEAD');
    const get = await p.get('/v2/src/ns/app/manifests/v1', { accept });
    expect(head.body.length).toBe(0);
    for (const h of ['docker-content-digest', 'content-type', 'content-length']) expect(head.headers[h]).toBe(get.headers[h]);
    expect(source.requests.filter((r) => r.url.includes('/manifests/')).every((r) => r.headers.accept === accept)).toBe(true);
  });

  it('an upstream answering 405 to HEAD is asked with GET', async () => {
    const [source] = await registries(1) as [FakeRegistry];
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { noHead: true };
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    const head = await p.get('/v2/src/ns/app/manifests/v1', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['docker-content-digest']).toBe(image.manifestDigest);
  });
});
