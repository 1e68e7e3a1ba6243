// Finding: the "not found" cache ignores the Accept header that produced the
// 404. mirrorgate forwards the client's Accept upstream, and distribution
// answers 404 MANIFEST_UNKNOWN ("OCI index found, but accept header does not
// support OCI indexes", registry/handlers/manifests.go) when the tag is an
// index the client did not accept. store/manifests.ts remembers that 404
// under `${walkKey}|${reference}` (manifest-cache.ts rememberNotFound), so one
// client sending a narrow Accept makes the tag "not found" for every client
// walking the same plan, for cache.negative_ttl_ms. REQUIRED: a client that
// accepts indexes gets the index.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] }));
const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;

let registry: HostileServer | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await registry?.stop();
  proxy = registry = undefined;
});

/** A registry whose tag v1 is an OCI index, negotiating Accept as distribution does. */
const negotiating = () =>
  hostileServer((req, res) => {
    if (!/\/manifests\/(v1|sha256:)/.test(req.url ?? '')) return void res.writeHead(404, { 'content-length': 0 }).end();
    if (!(req.headers.accept ?? '').includes(INDEX)) {
      const err = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'OCI index found, but accept header does not support OCI indexes' }] });
      return void res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(err) }).end(err);
    }
    res.writeHead(200, { 'content-type': INDEX, 'content-length': body.length, 'docker-content-digest': digest }).end(req.method === 'HEAD' ? undefined : body);
  });

describe('a 404 learnt under one Accept does not answer another', () => {
  it('a narrow-Accept pull of an index tag leaves the tag pullable by a client that accepts indexes', async () => {
    registry = await negotiating();
    proxy = await startTestProxy(mirrorRules(`${registry.host}/ns`, [], []), { aliases: { src: registry.host } }, {
      cache: { max_bytes: 1_000_000, tag_ttl_ms: 1, negative_ttl_ms: 600_000, stale_if_error: false },
    });
    const narrow = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect(narrow.status).toBe(404);
    const res = await proxy.get('/v2/src/ns/app/manifests/v1', { accept: INDEX });
    expect({ status: res.status, digest: res.headers['docker-content-digest'] }).toEqual({ status: 200, digest });
  });
});
