// Red-team round 2, finding 2: a client must not open a healthy mirror's
// circuit with requests whose own parameters make the mirror answer 4xx.
// distribution answers 400 MANIFEST_INVALID to an Accept naming no type of
// the image (registry/handlers/manifests.go) and 400 PAGINATION_NUMBER_INVALID
// to an `n` past strconv.Atoi's range (registry/handlers/tags.go): such a 4xx
// is the endpoint's answer to that request (`rejected`, upstream/failure.ts),
// not its fault, and an out-of-range `n` is refused by mirrorgate, never forwarded.
// Finding 5: RFC 9110 §14.2 lets a server ignore Range and answer 200 with the
// whole blob, chunked. With the disk cache off, store/ranged.ts cannot place
// the span in such an answer; that is no fault of the endpoint (`declined`):
// the walk fails over and the mirror's circuit stays closed.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { hostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { stopAfterTest } from '../helpers/stop-after.js';

const content = randomBytes(64 * 1024);
const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
const other = randomBytes(1024);
const otherDigest = `sha256:${createHash('sha256').update(other).digest('hex')}`;


const V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: V2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'4'.repeat(64)}` }, layers: [] }));

/** A healthy registry's tags/list, answering `n` as distribution v3 does. */
const distributionTags = () =>
  hostileServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // distribution v3 registry/handlers/manifests.go: a schema-2 manifest the client's Accept does not name is 400 MANIFEST_INVALID.
    if (url.pathname.includes('/manifests/')) {
      const ok = (req.headers.accept ?? '').includes(V2);
      const body = ok ? manifest : Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'Schema 2 manifest not supported by client' }] }));
      return void res.writeHead(ok ? 200 : 400, { 'content-type': ok ? V2 : 'application/json', 'content-length': body.length }).end(body);
    }
    const n = url.searchParams.get('n');
    // Go's strconv.Atoi on a 64-bit platform: more than int64 is an error; distribution answers 400.
    if (n !== null && (!/^\d+$/.test(n) || BigInt(n) > 9223372036854775807n)) {
      const body = JSON.stringify({ errors: [{ code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested', detail: { n } }] });
      return void res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    }
    const body = JSON.stringify({ name: 'ns/app', tags: ['v1'] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });

describe('a client cannot open a healthy mirror\'s circuit with a parameter it forwards', () => {
  it('three pulls of a docker image by a client accepting only OCI types leave the mirror serving the next tag list', async () => {
    const mirror = stopAfterTest(await distributionTags());
    const source = stopAfterTest(await fakeRegistry());
    source.tags.set('ns/app', ['v1']);
    const proxy = stopAfterTest(await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], [`${mirror.host}/ns`]), { aliases: { src: source.host } }, { health: { failure_threshold: 3, cool_down_ms: 600_000 } }));
    for (let i = 0; i < 3; i++) await proxy.get('/v2/src/ns/app/manifests/v1', { accept: 'application/vnd.oci.image.manifest.v1+json' });
    const before = mirror.requests.length;
    const res = await proxy.get('/v2/src/ns/app/tags/list');
    expect(proxy.attemptsFor('/v2/src/ns/app/manifests/v1').map((walk) => walk[0]?.outcome)).toEqual(['rejected', 'rejected', 'rejected']);
    expect({ status: res.status, servedBy: res.headers['x-mirrorgate-served-by'], mirrorAsked: mirror.requests.length - before }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      mirrorAsked: 1,
    });
  });

  it('tags/list?n=<past int64> is refused by mirrorgate, never forwarded, and leaves the mirror serving', async () => {
    const mirror = stopAfterTest(await distributionTags());
    const source = stopAfterTest(await fakeRegistry());
    source.tags.set('ns/app', ['v1']);
    const proxy = stopAfterTest(await startTestProxy(mirrorRules(`${source.host}/ns`, [], [`${mirror.host}/ns`]), { aliases: { src: source.host } }, { health: { failure_threshold: 3, cool_down_ms: 600_000 } }));
    for (let i = 0; i < 3; i++) {
      const bad = await proxy.get('/v2/src/ns/app/tags/list?n=99999999999999999999');
      expect({ status: bad.status, code: JSON.parse(bad.body.toString()).errors[0].code }).toEqual({ status: 400, code: 'PAGINATION_NUMBER_INVALID' });
    }
    const before = mirror.requests.length;
    const res = await proxy.get('/v2/src/ns/app/tags/list');
    expect({ status: res.status, servedBy: res.headers['x-mirrorgate-served-by'], mirrorAsked: mirror.requests.length - before, mirrorAskedBefore: before }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      mirrorAsked: 1,
      mirrorAskedBefore: 0,
    });
  });
});

describe('a mirror that ignores Range', () => {
  it('stays in the plan after three Range requests', async () => {
    // Correct bytes, whole, chunked (no Content-Length), whatever Range says.
    const mirror = stopAfterTest(await hostileServer((req, res) => {
      const body = (req.url ?? '').includes(digest) ? content : (req.url ?? '').includes(otherDigest) ? other : undefined;
      if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': req.url?.includes(digest) ? digest : otherDigest });
      res.end(req.method === 'HEAD' ? undefined : body);
    }));
    const source = stopAfterTest(await fakeRegistry());
    source.putBlob(content);
    source.putBlob(other);
    const proxy = stopAfterTest(await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, { health: { failure_threshold: 3, cool_down_ms: 600_000 } }));
    for (let i = 0; i < 3; i++) {
      const part = await proxy.get(`/v2/src/ns/app/blobs/${digest}`, { range: 'bytes=100-199' });
      expect({ status: part.status, bytes: part.body.equals(content.subarray(100, 200)) }).toEqual({ status: 206, bytes: true });
    }
    expect(proxy.attemptsFor(`/v2/src/ns/app/blobs/${digest}`).map((walk) => walk[0]?.outcome)).toEqual(['declined', 'declined', 'declined']);
    const res = await proxy.get(`/v2/src/ns/app/blobs/${otherDigest}`);
    expect({ status: res.status, servedBy: res.headers['x-mirrorgate-served-by'], sourceAsked: source.count(otherDigest) }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      sourceAsked: 0,
    });
  });
});
