// Manifests through the content store: a HEAD by tag answers from a verified
// copy when the digest the upstream names is cached; coalesced requests log
// the attempts of the fetch they joined.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { makeImage, OCI_MANIFEST } from '../../src/bench/test-image.js';
import { hostileRegistry, type HostileRegistry } from '../fakes/hostile-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(57);
let upstream: HostileRegistry;
let proxy: TestProxy;
afterEach(async () => {
  await proxy.close();
  await upstream.close();
});

async function start(): Promise<TestProxy> {
  upstream = await hostileRegistry();
  proxy = await startTestProxy(mirrorRules(`${upstream.host}/ns`, [], []), { aliases: { src: upstream.host } }, {
    cache: { max_bytes: 1 << 20, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false },
  });
  return proxy;
}

describe('manifests through the content store', () => {
  it('HEAD by tag answers the type and length of the cached, verified manifest, not the upstream claim', async () => {
    const p = await start();
    upstream.answers.set(`/v2/ns/app/manifests/${image.manifestDigest}`, { headers: { 'content-type': OCI_MANIFEST }, body: image.manifest });
    expect((await p.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`)).status).toBe(200);
    upstream.answers.set('/v2/ns/app/manifests/v1', { headers: { 'content-type': 'application/x-lie', 'content-length': '9999', 'docker-content-digest': image.manifestDigest } });
    const head = await p.get('/v2/src/ns/app/manifests/v1', {}, 'HEAD');
    expect(head.headers['docker-content-digest']).toBe(image.manifestDigest);
    expect(head.headers['content-length']).toBe(String(image.manifest.length));
    expect(head.headers['content-type']).toBe(OCI_MANIFEST);
  });

  it('requests that joined a fetch log its attempts as theirs', async () => {
    const p = await start();
    upstream.answers.set('/v2/ns/app/manifests/v1', { headers: { 'content-type': OCI_MANIFEST }, body: image.manifest });
    await Promise.all(Array.from({ length: 8 }, () => request(`${p.url}/v2/src/ns/app/manifests/v1`).then((r) => r.body.dump())));
    const logged = () => p.logs.filter((l) => l.msg === 'request' && l.path === '/v2/src/ns/app/manifests/v1');
    for (let i = 0; i < 100 && logged().length < 8; i++) await new Promise((r) => setTimeout(r, 20));
    const lines = logged();
    expect(lines).toHaveLength(8);
    for (const l of lines) expect((l.attempts as { outcome: string }[]).map((a) => a.outcome)).toEqual(['ok']);
    expect(lines.filter((l) => l.coalesced === true).length).toBe(8 - upstream.requests.filter((r) => r.path.endsWith('/v1')).length);
  });
});
