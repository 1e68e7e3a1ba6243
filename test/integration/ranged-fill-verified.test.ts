// Red-team round 2, finding 3: with the disk cache on, a Range on the start of
// a blob past cache.blobs.verify_before_serve_bytes is answered from the fill
// as it grows, before the digest verified. The span must not end cleanly
// before the fill's verdict (store/read-file.ts sendGrowing): a mirror serving
// wrong bytes breaks the 206 instead of handing the client wrong bytes.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { hostileServer } from '../fakes/hostile.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { stopAfterTest } from '../helpers/stop-after.js';
import { tempDir } from '../helpers/temp.js';

const content = randomBytes(2 * 1024 * 1024);
const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;


/** A mirror answering every blob with `body` under the right length and digest header. */
const mirrorOf = (body: Buffer) =>
  hostileServer((req, res) => {
    if (!(req.url ?? '').includes('/blobs/')) return void res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-length': body.length, 'docker-content-digest': digest, 'content-type': 'application/octet-stream' }).end(body);
  });

async function rangedGet(mirrorBody: Buffer): Promise<{ status: number; body: string }> {
  const mirror = stopAfterTest(await mirrorOf(mirrorBody));
  const source = stopAfterTest(await fakeRegistry());
  source.putBlob(content);
  const proxy = stopAfterTest(await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, {
    cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir: tempDir('ranged-fill'), verify_before_serve_bytes: 1024 } },
  }));
  const res = await request(`${proxy.url}/v2/src/ns/app/blobs/${digest}`, { headers: { range: 'bytes=0-15' } });
  const body = await res.body.arrayBuffer().then((b) => Buffer.from(b).toString('hex'), () => 'broken');
  return { status: res.statusCode, body };
}

describe('a Range answered from a fill in progress', () => {
  it('breaks when the mirror\'s copy turns out wrong, never a clean 206 of wrong bytes', async () => {
    expect(await rangedGet(Buffer.alloc(content.length, 0x41))).toEqual({ status: 206, body: 'broken' });
  });

  it('ends cleanly with the right bytes once the copy verified', async () => {
    expect(await rangedGet(content)).toEqual({ status: 206, body: content.subarray(0, 16).toString('hex') });
  });
});
