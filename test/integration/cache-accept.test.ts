// Red-team round 2, findings 1 and 4: the upstream chooses a manifest answer by
// the Accept header mirrorgate forwards (distribution rewrites a list to the
// linux/amd64 manifest for a client that takes no lists, and answers 404 for
// an OCI index to one that takes no indexes: registry/handlers/manifests.go),
// so a tag -> digest or "not found" entry learnt under one Accept must not
// answer a client sending another (store/manifests.ts keys them by both).
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const amd64 = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: V2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: sha(Buffer.from('{}')) }, layers: [] }));
const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: LIST, manifests: [
  { mediaType: V2, size: amd64.length, digest: sha(amd64), platform: { architecture: 'amd64', os: 'linux' } },
  { mediaType: V2, size: amd64.length, digest: sha(amd64), platform: { architecture: 'arm64', os: 'linux' } },
] }));
const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] }));

let registry: HostileServer | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await registry?.stop();
  proxy = registry = undefined;
});

/** Tag v1 is a docker list; a client not accepting lists gets the linux/amd64 manifest, as distribution answers. */
const listRegistry = () =>
  hostileServer((req, res) => {
    const ref = /\/manifests\/([^/?]+)/.exec(req.url ?? '')?.[1];
    const byList = ref === 'v1' ? (req.headers.accept ?? '').includes(LIST) : ref === sha(list);
    const body = byList ? list : ref === 'v1' || ref === sha(amd64) ? amd64 : undefined;
    if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-type': body === list ? LIST : V2, 'content-length': body.length, 'docker-content-digest': sha(body) }).end(req.method === 'HEAD' ? undefined : body);
  });

/** Tag v1 is an OCI index; a client not accepting indexes gets 404 MANIFEST_UNKNOWN, as distribution answers. */
const indexRegistry = () =>
  hostileServer((req, res) => {
    if (!/\/manifests\/(v1|sha256:)/.test(req.url ?? '')) return void res.writeHead(404, { 'content-length': 0 }).end();
    if (!(req.headers.accept ?? '').includes(INDEX)) {
      const err = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'OCI index found, but accept header does not support OCI indexes' }] });
      return void res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(err) }).end(err);
    }
    res.writeHead(200, { 'content-type': INDEX, 'content-length': index.length, 'docker-content-digest': sha(index) }).end(req.method === 'HEAD' ? undefined : index);
  });

describe('manifest cache entries are kept per Accept', () => {
  it('after a list-less pull of a multi-arch tag, a client accepting lists gets the list', async () => {
    registry = await listRegistry();
    proxy = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host } }, {
      cache: { max_bytes: 1_000_000, tag_ttl_ms: 600_000, negative_ttl_ms: 1, stale_if_error: false },
    });
    const narrow = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: V2 });
    expect(narrow.headers['docker-content-digest']).toBe(sha(amd64));
    const res = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: `${LIST}, ${V2}` });
    expect({ status: res.status, digest: res.headers['docker-content-digest'], type: res.headers['content-type'] }).toEqual({ status: 200, digest: sha(list), type: LIST });
    // The same Accept in another order and case still finds its own entry: one upstream fetch per Accept set.
    const before = registry.requests.length;
    const again = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: `${V2.toUpperCase()}, ${LIST}` });
    expect({ digest: again.headers['docker-content-digest'], fetched: registry.requests.length - before }).toEqual({ digest: sha(list), fetched: 0 });
  });

  it('a narrow-Accept 404 for an index tag leaves the tag pullable by a client that accepts indexes', async () => {
    registry = await indexRegistry();
    proxy = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host } }, {
      cache: { max_bytes: 1_000_000, tag_ttl_ms: 1, negative_ttl_ms: 600_000, stale_if_error: false },
    });
    const narrow = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: V2 });
    expect(narrow.status).toBe(404);
    const res = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: INDEX });
    expect({ status: res.status, digest: res.headers['docker-content-digest'] }).toEqual({ status: 200, digest: sha(index) });
  });
});
