// TLS on both sides, Basic auth, schema-1, size limits, short names, open
// mode and the request log.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { settingsFrom } from '../../src/config/settings.js';
import { startProxy } from '../../src/cli/start-proxy.js';
import { createLogger } from '../../src/observability/logger.js';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, writeRules, type TestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';
import { tempDir } from '../helpers/temp.js';

const image = makeImage(31);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});
const track = <T extends { stop?: () => Promise<void>; close?: () => Promise<void> }>(x: T): T => {
  cleanup.push(() => (x.stop ?? x.close)?.call(x) ?? Promise.resolve());
  return x;
};
const proxyFor = async (rules: Record<string, string>, upstream: Record<string, unknown> = {}): Promise<TestProxy> => track(await startTestProxy(rules, upstream));

describe('TLS', () => {
  it('verifies an HTTPS upstream with the additionalTrustedCA bundle of its host, and fails over without it', async () => {
    const pki = makePki();
    const secure = track(await fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile }));
    pushImage(secure, 'ns/app', image, 'v1');
    const key = secure.host.replace(':', '..');
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${key}: |\n${pki.caPem.replace(/^/gm, '    ')}`;
    const image_ = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n`;
    const withCa = await proxyFor({ 'image.yaml': image_, 'cm.yaml': cm }, { aliases: { sec: secure.host }, allow: [secure.host] });
    expect((await withCa.get('/v2/sec/ns/app/manifests/v1')).status).toBe(200);
    const withoutCa = await proxyFor({ 'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n' }, { aliases: { sec: secure.host }, allow: [secure.host] });
    const refused = await withoutCa.get('/v2/sec/ns/app/manifests/v1');
    expect(refused.status).toBe(503);
    expect(refused.body.toString()).toContain('"outcome":"tls"');
  });

  it('serves HTTPS with its own certificate', async () => {
    const pki = makePki();
    const source = track(await fakeRegistry());
    pushImage(source, 'ns/app', image, 'v1');
    const dir = writeRules(mirrorRules(`${source.host}/ns`, [], []));
    const settings = settingsFrom({ server: { listen: ['127.0.0.1:0'], tls_cert: pki.certFile, tls_key: pki.keyFile }, rules: { paths: [dir] }, upstream: { aliases: { src: source.host } } }, {}, dir, 't');
    const proxy = track(await startProxy(settings, { log: createLogger('silent') }));
    expect(proxy.urls[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: pki.caPem } });
    const res = await request(`${proxy.urls[0]}/v2/src/ns/app/manifests/v1`, { dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await dispatcher.close();
  });
});

describe('Basic auth upstream', () => {
  it('answers a Basic challenge with the configured credentials', async () => {
    const source = track(await fakeRegistry());
    pushImage(source, 'ns/app', image, 'v1');
    source.faults = { basicAuth: { username: 'bob', password: 'pw' } };
    const auth = join(tempDir('auth'), 'auth.json');
    writeFileSync(auth, JSON.stringify({ auths: { [source.host]: { username: 'bob', password: 'pw' } } }));
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, credentials: auth });
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    // The second request sends Basic credentials up front, no second challenge.
    expect(source.requests.filter((r) => r.url.includes('/manifests/') && !r.headers.authorization)).toHaveLength(1);
  });
});

describe('manifests', () => {
  it('passes schema-1 signed manifests when allowed and verifies them by their payload digest', async () => {
    const source = track(await fakeRegistry());
    const payload = '{\n   "schemaVersion": 1,\n   "name": "ns/old",\n   "tag": "v1"\n}';
    const formatLength = payload.length - 2;
    const protectedHeader = Buffer.from(JSON.stringify({ formatLength, formatTail: Buffer.from('\n}').toString('base64url') })).toString('base64url');
    const signed = Buffer.from(`${payload.slice(0, formatLength)},\n   "signatures": [{"header": {}, "signature": "x", "protected": "${protectedHeader}"}]\n}`);
    const digest = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    source.manifests.set(`ns/old@${digest}`, { body: signed, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    const p = await proxyFor(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, allow_schema1: true });
    const res = await p.get(`/v2/src/ns/old/manifests/${digest}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(signed)).toBe(true);
    expect(res.headers['docker-content-digest']).toBe(digest);
  });

  it('refuses a manifest over max_manifest_bytes instead of buffering it', async () => {
    const [m1, m2] = [track(await fakeRegistry()), track(await fakeRegistry())];
    const bigIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, annotations: { pad: 'x'.repeat(5000) } }));
    m1.putManifest('ns/app', bigIndex, 'application/vnd.oci.image.index.v1+json', 'v1');
    pushImage(m2, 'ns/app', image, 'v1');
    const p = await proxyFor(mirrorRules(`${m1.host}/ns`, [], [`${m2.host}/ns`], { insecure: [m1.host] }), { aliases: { src: m1.host }, max_manifest_bytes: 4096 });
    const res = await p.get('/v2/src/ns/app/manifests/v1');
    // The tag mirror m2 comes first and serves; ask m1 alone to see the refusal.
    expect(res.headers['x-mirrorgate-served-by']).toContain(m2.host);
    m2.manifests.clear();
    const refused = await p.get('/v2/src/ns/app/manifests/v1');
    expect(refused.status).toBe(502);
    expect(refused.body.toString()).toContain('larger than the 4096-byte limit');
  });
});

describe('which registries are contacted', () => {
  it('expands unqualified names through the search registries in order', async () => {
    const [first, second] = [track(await fakeRegistry()), track(await fakeRegistry())];
    pushImage(second, 'library/tool', image, 'v1');
    const rules = `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    insecureRegistries: ["${first.host}", "${second.host}"]\n`;
    const conf = `unqualified-search-registries = ["${first.host}", "${second.host}"]\n`;
    const p = await proxyFor({ 'image.yaml': rules, 'search.toml': conf });
    const res = await p.get('/v2/library/tool/manifests/v1');
    expect(res.status).toBe(200);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${second.host}/library/tool:v1`);
    expect(first.count('/library/tool/manifests/v1')).toBe(1);
  });

  it('with open = true, contacts a registry the rules do not name, at a public address or one upstream.allow names', async () => {
    const pki = makePki();
    const other = track(await fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile }));
    pushImage(other, 'x/app', image, 'v1');
    // A CA bundle for the host does not name it as a registry to use.
    const rules = {
      'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas}\ndata:\n  ${other.host.replace(':', '..')}: |\n${pki.caPem.replace(/^/gm, '    ')}`,
    };
    const closed = await proxyFor(rules);
    const denied = await closed.get(`/v2/x/app/manifests/v1?ns=${other.host}`);
    expect(denied.status).toBe(403);
    expect(denied.body.toString()).toContain('not an open proxy');
    // Open does not open the internal network: a loopback registry needs upstream.allow.
    const open = await proxyFor(rules, { open: true });
    const filtered = await open.get(`/v2/x/app/manifests/v1?ns=${other.host}`);
    expect(filtered.status).toBe(503);
    expect(other.requests).toHaveLength(0);
    const allowed = await proxyFor(rules, { open: true, allow: [other.host] });
    expect((await allowed.get(`/v2/x/app/manifests/v1?ns=${other.host}`)).status).toBe(200);
  });
});

describe('the request log', () => {
  it('logs one line per request with the plan, every attempt and who served', async () => {
    const [m1, source] = [track(await fakeRegistry()), track(await fakeRegistry())];
    pushImage(source, 'ns/app', image, 'v1');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
    const dir = writeRules(mirrorRules(`${source.host}/ns`, [`${m1.host}/ns`], [`${m1.host}/ns`]));
    const settings = settingsFrom({ server: { listen: ['127.0.0.1:0'] }, rules: { paths: [dir] }, upstream: { aliases: { src: source.host } } }, {}, dir, 't');
    const proxy = track(await startProxy(settings, { log: createLogger('info', sink) }));
    const res = await request(`${proxy.urls[0]}/v2/src/ns/app/manifests/v1`, { headers: { authorization: 'Bearer secret-client-token' } });
    await res.body.dump();
    const line = lines.find((l) => l.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', code: 200, image: `${source.host}/ns/app:v1`, pullBy: 'tag', plan: 2, servedBy: `${source.host}/ns/app:v1` });
    expect((line?.attempts as { outcome: string }[]).map((a) => a.outcome)).toEqual(['not_found', 'ok']);
    expect(JSON.stringify(lines)).not.toContain('secret-client-token');
  });
});
