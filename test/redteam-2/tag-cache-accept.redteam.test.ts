// Finding: the tag cache ignores the Accept header that chose the manifest.
// mirrorgate forwards the client's Accept; for a tag that is a manifest list,
// distribution answers a client that does not accept lists with the
// linux/amd64 image manifest instead (registry/handlers/manifests.go, the
// "rewrite manifest list to the default platform" path). store/manifests.ts
// then keeps tag -> that manifest's digest under `${walkKey}:${tag}`
// (manifest-cache.ts store), and the next client, which accepts lists (every
// containerd, CRI-O, podman on any architecture), gets the amd64 manifest for
// the multi-arch tag for cache.tag_ttl_ms (and stale_max_ms when upstream
// fails): one client with a narrow Accept pins a multi-arch tag to one
// platform for a whole cluster. REQUIRED: a client that accepts lists gets
// the list.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const amd64 = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: V2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: sha(Buffer.from('{}')) }, layers: [] }));
const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: LIST, manifests: [
  { mediaType: V2, size: amd64.length, digest: sha(amd64), platform: { architecture: 'amd64', os: 'linux' } },
  { mediaType: V2, size: amd64.length, digest: sha(amd64), platform: { architecture: 'arm64', os: 'linux' } },
] }));

let registry: HostileServer | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await registry?.stop();
  proxy = registry = undefined;
});

/** Tag v1 is a manifest list; a client not accepting lists gets the linux/amd64 manifest, as distribution answers. */
const negotiating = () =>
  hostileServer((req, res) => {
    const ref = /\/manifests\/([^/?]+)/.exec(req.url ?? '')?.[1];
    const byList = ref === 'v1' ? (req.headers.accept ?? '').includes(LIST) : ref === sha(list);
    const body = byList ? list : ref === 'v1' || ref === sha(amd64) ? amd64 : undefined;
    if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-type': body === list ? LIST : V2, 'content-length': body.length, 'docker-content-digest': sha(body) }).end(req.method === 'HEAD' ? undefined : body);
  });

describe('a tag learnt under one Accept does not answer another', () => {
  it('after a list-less pull of a multi-arch tag, a client accepting lists gets the list', async () => {
    registry = await negotiating();
    proxy = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host } }, {
      cache: { max_bytes: 1_000_000, tag_ttl_ms: 600_000, negative_ttl_ms: 1, stale_if_error: false },
    });
    const narrow = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: V2 });
    expect(narrow.headers['docker-content-digest']).toBe(sha(amd64));
    const res = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: `${LIST}, ${V2}` });
    expect({ status: res.status, digest: res.headers['docker-content-digest'], type: res.headers['content-type'] }).toEqual({ status: 200, digest: sha(list), type: LIST });
  });
});
