// Every way a client can address the proxy reaches the right upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

let source: FakeRegistry;
let proxy: TestProxy;
const image = makeImage(1);

beforeAll(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
  pushImage(source, 'library/busybox', image, 'latest');
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host }, default_registry: source.host });
});
afterAll(async () => {
  await proxy.close();
  await source.stop();
});

describe('routing forms', () => {
  it.each([
    ['registry in the path, through an alias (CRI-O/podman mirror location)', () => '/v2/src/ns/app/manifests/v1', undefined],
    ['containerd hosts.toml host: ns query', (h: string) => `/v2/ns/app/manifests/v1?ns=${h}`, 'ns'],
    ['containerd host URL with a path: prefix before /v2', (h: string) => `/src/v2/ns/app/manifests/v1?ns=${h}`, 'ns'],
    ['override_path form: registry after /v2 and ns', () => `/v2/src/ns/app/manifests/v1?ns=src`, 'ns-alias'],
    ['no registry and no ns: the default registry', () => '/v2/ns/app/manifests/v1', undefined],
  ])('%s', async (_name, path, echo) => {
    const res = await proxy.get(path(source.host));
    expect(res.status).toBe(200);
    expect(res.body.equals(image.manifest)).toBe(true);
    expect(res.headers['docker-content-digest']).toBe(image.manifestDigest);
    expect(res.headers['x-mirrorgate-served-by']).toBe(`${source.host}/ns/app:v1`);
    if (echo === 'ns') expect(res.headers['oci-namespace']).toBe(source.host);
    if (echo === 'ns-alias') expect(res.headers['oci-namespace']).toBe('src');
    if (echo === undefined) expect(res.headers['oci-namespace']).toBeUndefined();
  });

  it('answers the ping with 200 and the API version header', async () => {
    const res = await proxy.get('/v2/');
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('refuses registries nobody named: no open proxy', async () => {
    const res = await proxy.get('/v2/ns/app/manifests/v1?ns=other.example.com');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('DENIED');
  });

  it.each([
    ['PUT', '/v2/src/ns/app/manifests/v1'],
    ['DELETE', `/v2/src/ns/app/blobs/${image.config.digest}`],
    ['POST', '/v2/src/ns/app/blobs/uploads/'],
  ] as const)('%s %s is UNSUPPORTED and never forwarded', async (method, path) => {
    const before = source.requests.length;
    const res = await proxy.get(path, {}, method);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNSUPPORTED');
    expect(source.requests.length).toBe(before);
  });

  it.each([
    ['/v2/src/NS/app/manifests/v1', 400, 'NAME_INVALID'],
    ['/v2/src/ns/app/manifests/sha256:totallywrong', 400, 'DIGEST_INVALID'],
    ['/v2/src/ns/app/blobs/notadigest', 400, 'DIGEST_INVALID'],
    ['/v2/src/ns/app/manifests/.INVALID_MANIFEST_NAME', 404, 'MANIFEST_UNKNOWN'],
  ])('%s -> %i %s', async (path, status, code) => {
    const res = await proxy.get(path);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe(code);
  });

  it('HEAD errors carry no body', async () => {
    const res = await proxy.get('/v2/src/ns/app/manifests/missing', {}, 'HEAD');
    expect(res.status).toBe(404);
    expect(res.body.length).toBe(0);
  });
});

describe('the served-by header', () => {
  it('can be renamed or turned off', async () => {
    const renamed = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { server: { listen: ['127.0.0.1:0'], served_by_header: 'X-Served-From' } });
    const off = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { server: { listen: ['127.0.0.1:0'], served_by_header: '' } });
    try {
      const a = await renamed.get('/v2/src/ns/app/manifests/v1');
      expect(a.headers['x-served-from']).toBe(`${source.host}/ns/app:v1`);
      expect(a.headers['x-mirrorgate-served-by']).toBeUndefined();
      const b = await off.get(`/v2/src/ns/app/blobs/${image.config.digest}`);
      expect(b.status).toBe(200);
      expect(Object.keys(b.headers).filter((h) => h.includes('served'))).toEqual([]);
    } finally {
      await Promise.all([renamed.close(), off.close()]);
    }
  });
});
