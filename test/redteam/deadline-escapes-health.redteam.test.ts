// Red team (redteam-srv): hardening2 records an attempt cut by
// upstream.pull_deadline_ms as `deadline` and does not charge it to the
// endpoint (src/pull/walk.ts, src/store/verified-fetch.ts: `clientSide`
// covers a deadline abort because the request's signal is aborted). A mirror
// that sends its body steadily but just above upstream.min_bytes_per_s, too
// slowly to ever finish a large layer within the deadline, is then never a
// failure: its circuit never opens, the status page shows it at 100%, and as
// the first mirror it takes every pull of that layer, on every node, for the
// whole deadline, while a healthy second mirror is never tried.
// Not new in health: at 8dcc652 verified-fetch.ts already took any cut under an
// aborted request signal as the client's side. New with hardening2: the
// attempt, formerly recorded `refused` (a failure on the status page), is now
// `deadline`, which the status page counts as a success, so the page shows
// such a mirror at 100% as well. With defaults (min_bytes_per_s 16 KiB,
// pull_deadline_ms 30 min) a mirror at 17 KiB/s never finishes a layer over
// ~30 MiB and is never judged.
// Required: an endpoint that alone used up a pull's whole deadline, pull after
// pull, is stepped over in the end (here failure_threshold = 1: the third
// pull at the latest is served, whole and verified, by the healthy mirror).
// Check that it can pass: charging the deadline (verified-fetch.ts clientSide
// not covering a deadline abort, and 'deadline' in ENDPOINT_FAILURES) makes
// the second pull whole from the healthy mirror.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { request } from 'undici';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { dripRegistry } from '../fakes/drip-registry.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';

const CONTENT = randomBytes(4 * 1024 * 1024);
const DIGEST = `sha256:${createHash('sha256').update(CONTENT).digest('hex')}`;
const PATH = `/v2/src/ns/app/blobs/${DIGEST}`;

let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

it('a mirror that drips above min_bytes_per_s but never finishes within the deadline is stepped over in the end', async () => {
  // 4 KiB every 50 ms (~80 KB/s, far above min_bytes_per_s 1024): 4 MiB would take ~50 s; the deadline is 1 s.
  const slow = await dripRegistry(CONTENT, { bytes: 4096, everyMs: 50 });
  const good = await fakeRegistry();
  good.putBlob(CONTENT);
  const source = await fakeRegistry();
  stops.push(() => slow.stop(), () => good.stop(), () => source.stop());
  const proxy = await startTestProxy(
    mirrorRules(`${source.host}/ns`, [`${slow.host}/ns`, `${good.host}/ns`], [], { never: true }),
    { aliases: { src: source.host }, pull_deadline_ms: 1_000, min_bytes_per_s: 1024, headers_timeout_ms: 30_000 },
    { health: { failure_threshold: 1 }, cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { verify_before_serve_bytes: 65_536 } } },
  );
  stops.push(() => proxy.close());
  const outcomes: string[] = [];
  // Bounded: three pulls, each ended by the 1 s deadline at most.
  for (let i = 0; i < 3; i++) {
    const res = await request(`${proxy.url}${PATH}`);
    const body = await res.body.arrayBuffer().then((b) => Buffer.from(b), () => undefined);
    const whole = res.statusCode === 200 && body !== undefined && body.equals(CONTENT);
    outcomes.push(whole ? 'whole' : `${res.statusCode} ${body === undefined ? 'cut' : body.length}`);
    if (whole) break;
  }
  const health = proxy.proxy.pull.health.snapshot().find((h) => h.endpoint === slow.host);
  expect({ outcomes, slowRequests: slow.requests(), health: health?.state }).toMatchObject({ outcomes: expect.arrayContaining(['whole']) });
}, 60_000);
