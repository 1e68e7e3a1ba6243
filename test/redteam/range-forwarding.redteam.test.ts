// Range (core/oci/range.ts parsePart + store/ranged.ts rangeHeader): digits
// are turned into JS numbers and printed back. A last-byte position or suffix
// length past 2^53 prints as `1e+23`, so mirrorgate forwards
// `Range: bytes=0-1e+23` / `bytes=-1e+23` upstream: an invalid header it wrote
// itself (issue 8: invalid ranges are answered by mirrorgate, never
// forwarded). blobs.ts refuseInvalid checks only the first position.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { hostileServer } from '../fakes/hostile.js';
import { useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const blob = Buffer.from('x'.repeat(1000));
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

describe('Range values past 2^53', () => {
  it.each(['bytes=0-99999999999999999999999', 'bytes=-99999999999999999999999'])('%s is never forwarded as an invalid header', async (range) => {
    const source = await serve(hostileServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-length': blob.length, 'docker-content-digest': digest }).end(blob);
    }));
    const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
    later(() => p.close());
    await p.get(`/v2/src/ns/app/blobs/${digest}`, { range });
    const forwarded = source.requests.flatMap((r) => (r.headers.range ? [r.headers.range] : []));
    for (const f of forwarded) expect(f).toMatch(/^bytes=\d*-\d*$/);
  });
});
