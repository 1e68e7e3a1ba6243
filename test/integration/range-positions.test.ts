// Range values past 2^53 over real sockets (red-team finding
// "range-forwarding"): they once reached upstream as `bytes=0-1e+23`, an
// invalid header mirrorgate wrote itself. Now a last position or suffix
// length that large is forwarded as digits and means "to the end" / "all of
// it"; a first position that large is answered 416 by mirrorgate, and the
// upstream never sees the blob request.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { hostileServer } from '../fakes/hostile.js';
import { useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const blob = Buffer.from('x'.repeat(1000));
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const HUGE = '99999999999999999999999';

/** An upstream that ignores Range (a 200 with the whole blob): the proxy slices it, so only the forwarded header matters. */
async function setup() {
  const source = await serve(
    hostileServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'content-length': blob.length, 'docker-content-digest': digest }).end(blob);
    }),
  );
  const p = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
  later(() => p.close());
  const blobRequests = () => source.requests.filter((r) => r.url.includes('/blobs/'));
  return { p, blobRequests };
}

describe('Range values past 2^53', () => {
  it.each([`bytes=0-${HUGE}`, `bytes=-${HUGE}`])('%s is forwarded as digits and answered 206 with the whole blob', async (range) => {
    const { p, blobRequests } = await setup();
    const res = await p.get(`/v2/src/ns/app/blobs/${digest}`, { range });
    expect([res.status, res.headers['content-range'], res.body.length]).toEqual([206, 'bytes 0-999/1000', 1000]);
    const forwarded = blobRequests().map((r) => r.headers.range);
    expect(forwarded.length).toBeGreaterThan(0);
    for (const f of forwarded) expect(f).toMatch(/^bytes=\d*-\d*$/);
    expect(forwarded.flatMap((f) => /\d+/.exec(f ?? '') ?? []).every((n) => Number.isSafeInteger(Number(n)))).toBe(true);
  });

  it(`bytes=${HUGE}- is answered 416 by mirrorgate; the upstream never sees the blob request`, async () => {
    const { p, blobRequests } = await setup();
    const res = await p.get(`/v2/src/ns/app/blobs/${digest}`, { range: `bytes=${HUGE}-` });
    expect(res.status).toBe(416);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('RANGE_INVALID');
    expect(blobRequests()).toEqual([]);
  });
});
