// Red team (redteam-srv): the route memo (src/server/route-memo.ts) says what
// it keeps is bounded: keys of at most MAX_TARGET_CHARS (1024) characters, and
// "routes made of parts of them (a few KB each at most, a few MB in all)". But
// the parts are slices: WHATWG URL's pathname is a slice of the whole href, and
// the route's fields (clientRepository, repository, reference, ns) are slices
// of the pathname, so V8 keeps each entry's whole request target alive (its
// query included, up to Node's 16 KiB header limit): a client that pads its
// manifest targets with a long query the memo never looks at makes the 1024
// entries hold ~16 MB per listener instead of ~2 MB. (host-memo.ts keeps
// spellings the same way.) Required: what the memo retains stays within its
// stated bound (1024 keys of 1024 characters), whatever else the target held.
// Measured (1000 entries, heap after gc): no padding 4.8 MB, 12 KB padding
// 16.8 MB; with the memo keeping copies (structuredClone of the route, a fresh
// key) the padded run retains 4.9 MB and this test passes.
// The second test shows the same of host-memo.ts (kept since an earlier round,
// the model route-memo.ts names): every spelling parseRoute accepted is kept
// as a slice of its target, so 1000 refused blob targets naming distinct
// loopback hosts (answered 403 at once, nothing contacted) with a 12 KB query
// leave 8.4 MB held against 1.1 MB without the query; with the memo keeping
// copies (Buffer round trip) the padded run holds 1.1 MB and the test passes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { fakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Below MAX_ROUTES (1024) with the warm-up's 8, so the memo is not emptied on the way. */
const ROUTES = 1000;
/** A query the memo ignores, under Node's 16 KiB header limit. */
const PAD = 'x'.repeat(12_000);
/** The stated bound with room: 1024 keys of 1024 two-byte characters, and the routes made of them, twice over. */
const BOUND_BYTES = 8 * 1024 * 1024;
/**
 * host-memo.ts's stated bound: MAX_HOSTS x MAX_HOST_CHARS (~260 K characters, ~0.5 MB), with room for
 * what the requests themselves leave (1.1 MB measured without padding).
 */
const HOST_BOUND_BYTES = 3 * 1024 * 1024;

let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

const heap = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

it('1000 manifest targets padded with an ignored 12 KB query: the memo retains no more than its bound', async () => {
  const source = await fakeRegistry();
  stops.push(() => source.stop());
  const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
  stops.push(() => proxy.close());
  const agent = new Agent({ connections: 4 });
  stops.push(() => agent.close());
  // Warm up the paths the requests take, so their one-off allocations are not counted.
  for (let i = 0; i < 8; i++) await (await request(`${proxy.url}/v2/src/ns/warm${i}/manifests/latest`, { dispatcher: agent })).body.dump();
  proxy.logs.length = 0;
  const before = heap();
  // Bounded: ROUTES requests, four at a time.
  for (let i = 0; i < ROUTES; i += 4) {
    await Promise.all([0, 1, 2, 3].map(async (j) => {
      const res = await request(`${proxy.url}/v2/src/ns/app${i + j}/manifests/latest?pad=${PAD}${i + j}`, { dispatcher: agent });
      await res.body.dump();
    }));
  }
  proxy.logs.length = 0;
  const retained = heap() - before;
  expect(retained).toBeLessThan(BOUND_BYTES);
}, 120_000);

it('host memo: 1000 blob targets naming distinct hosts, padded with an ignored 12 KB query: it retains no more than its bound', async () => {
  const source = await fakeRegistry();
  stops.push(() => source.stop());
  const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
  stops.push(() => proxy.close());
  const agent = new Agent({ connections: 4 });
  stops.push(() => agent.close());
  // Warm up the paths the requests take, so their one-off allocations are not counted.
  for (let i = 0; i < 8; i++) await (await request(`${proxy.url}/v2/127.1.0.${i}:9/app/blobs/sha256:${'a'.repeat(64)}`, { dispatcher: agent })).body.dump();
  proxy.logs.length = 0;
  const before = heap();
  // Bounded: ROUTES requests, four at a time.
  for (let i = 0; i < ROUTES; i += 4) {
    await Promise.all([0, 1, 2, 3].map(async (j) => {
      const res = await request(`${proxy.url}/v2/127.0.${(i + j) >> 8}.${(i + j) & 255}:9/app/blobs/sha256:${'a'.repeat(64)}?pad=${PAD}${i + j}`, { dispatcher: agent });
      await res.body.dump();
    }));
  }
  proxy.logs.length = 0;
  const retained = heap() - before;
  expect(retained).toBeLessThan(HOST_BOUND_BYTES);
}, 120_000);
