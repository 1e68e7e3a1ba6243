// Finding: with the disk cache on, a Range request for the start of a large
// blob (past cache.blobs.verify_before_serve_bytes) is answered from the
// growing fill before the blob is verified, and the answer ends cleanly:
// sendGrowing (src/store/read-file.ts) stops at the span's end and
// BlobStore.fromFill (src/store/blobs.ts) calls out.end() before the fill
// settles. A mirror serving wrong bytes thus yields a clean 206 of wrong
// bytes, which issue 11 rules out ("the clients already streaming get a
// broken response (never a clean end)"), and which mirrorgate could avoid:
// it fetches the whole blob anyway. REQUIRED: the 206 carries the right
// bytes, or it does not end cleanly.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { hostileServer, type HostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const content = randomBytes(2 * 1024 * 1024);
const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;

let mirror: HostileServer | undefined;
let source: FakeRegistry | undefined;
let proxy: TestProxy | undefined;
let dir: string | undefined;
afterEach(async () => {
  await proxy?.close();
  await mirror?.stop();
  await source?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  proxy = mirror = source = dir = undefined;
});

describe('a Range answered from a fill in progress', () => {
  it('is not a clean 206 of bytes the digest has not verified', async () => {
    // The mirror sends the right length, 1 MiB of wrong bytes, then holds the rest.
    mirror = await hostileServer((req, res) => {
      if (!(req.url ?? '').includes('/blobs/')) return void res.writeHead(404, { 'content-length': 0 }).end();
      res.writeHead(200, { 'content-length': content.length, 'docker-content-digest': digest, 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024 * 1024, 0x41));
    });
    source = await fakeRegistry();
    source.putBlob(content);
    dir = mkdtempSync(join(tmpdir(), 'mirrorgate-rt2-'));
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir, verify_before_serve_bytes: 1024 } },
    });
    const res = await request(`${proxy.url}/v2/src/ns/app/blobs/${digest}`, { headers: { range: 'bytes=0-15' } });
    const body = await res.body.arrayBuffer().then((b) => Buffer.from(b), () => 'broken' as const);
    expect({ status: res.statusCode, body: body === 'broken' ? body : body.toString('hex') }).toEqual(
      expect.objectContaining({ body: expect.toSatisfy((b: string) => b === 'broken' || b === content.subarray(0, 16).toString('hex')) }),
    );
  });
});
