// Finding: a client's Range opens the circuit of a mirror that ignores Range.
// RFC 9110 §14.2 lets a server ignore Range and answer 200 with the whole
// representation; a mirror (or the CDN it redirects to) that streams blobs
// chunked, without Content-Length, is healthy for every full GET. But with
// the disk cache off, src/store/ranged.ts:89 (checked200) calls such an
// answer to a Range request `invalid`, which counts towards the circuit
// (ENDPOINT_FAILURES): three Range requests from any client take the mirror
// out of everyone's plans. REQUIRED: the client's Range never makes a
// correct answer the endpoint's failure (serve the span from the verified
// whole, or answer the Range without blaming the endpoint).
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const content = randomBytes(64 * 1024);
const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
const other = randomBytes(1024);
const otherDigest = `sha256:${createHash('sha256').update(other).digest('hex')}`;

let mirror: HostileServer | undefined;
let source: FakeRegistry | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await mirror?.stop();
  await source?.stop();
  proxy = mirror = source = undefined;
});

describe('a mirror that ignores Range', () => {
  it('stays in the plan after three Range requests', async () => {
    // Correct bytes, whole, chunked (no Content-Length), whatever Range says.
    mirror = await hostileServer((req, res) => {
      const body = (req.url ?? '').includes(digest) ? content : (req.url ?? '').includes(otherDigest) ? other : undefined;
      if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': req.url?.includes(digest) ? digest : otherDigest });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    source = await fakeRegistry();
    source.putBlob(content);
    source.putBlob(other);
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, { health: { failure_threshold: 3, cool_down_ms: 600_000 } });
    for (let i = 0; i < 3; i++) await proxy.get(`/v2/src/ns/app/blobs/${digest}`, { range: 'bytes=100-199' });
    const res = await proxy.get(`/v2/src/ns/app/blobs/${otherDigest}`);
    expect({ status: res.status, servedBy: res.headers['x-mirrorgate-served-by'], sourceAsked: source.count(otherDigest) }).toEqual({
      status: 200,
      servedBy: expect.stringContaining(mirror.host),
      sourceAsked: 0,
    });
  });
});
