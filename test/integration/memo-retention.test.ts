// The listener's memos (server/route-memo.ts, server/host-memo.ts) against
// padded targets (red team): each memo says what it keeps is bounded (1024
// keys of at most 1024 characters; 1024 spellings of at most 259), but what
// it keeps are parts of the request target, and a V8 substring keeps its whole
// parent alive: a client padding its targets with a 12 KB query neither memo
// looks at made 1000 entries hold ~16 MB (route memo) and ~8 MB (host memo).
// The memos keep flat copies (server/flat-copy.ts); these tests measure the
// heap after gc, before and after 1000 padded requests, against each bound.
// Measured with the copies: 4.9 MB (route memo), 1.1 MB (host memo).
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

/**
 * The heap the proxy retains (after gc) across ROUTES requests for target(i), each padded with PAD,
 * after 8 unpadded warm-up requests that take the same paths (their one-off allocations not counted).
 */
async function retainedAcross(target: (i: number) => string): Promise<number> {
  const source = await fakeRegistry();
  stops.push(() => source.stop());
  const proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } });
  stops.push(() => proxy.close());
  const agent = new Agent({ connections: 4 });
  stops.push(() => agent.close());
  for (let i = 0; i < 8; i++) await (await request(`${proxy.url}${target(ROUTES + i)}`, { dispatcher: agent })).body.dump();
  proxy.logs.length = 0;
  const before = heap();
  // Bounded: ROUTES requests, four at a time.
  for (let i = 0; i < ROUTES; i += 4) {
    await Promise.all([0, 1, 2, 3].map(async (j) => {
      const res = await request(`${proxy.url}${target(i + j)}?pad=${PAD}${i + j}`, { dispatcher: agent });
      await res.body.dump();
    }));
  }
  proxy.logs.length = 0;
  return heap() - before;
}

it('route memo: 1000 manifest targets padded with an ignored 12 KB query: it retains no more than its bound', async () => {
  expect(await retainedAcross((i) => `/v2/src/ns/app${i}/manifests/latest`)).toBeLessThan(BOUND_BYTES);
}, 120_000);

it('host memo: 1000 blob targets naming distinct hosts, padded with an ignored 12 KB query: it retains no more than its bound', async () => {
  // Distinct loopback hosts no rule names: each refused at once (403), nothing contacted, its spelling remembered.
  const blob = (i: number) => `/v2/127.${i >> 16}.${(i >> 8) & 255}.${i & 255}:9/app/blobs/sha256:${'a'.repeat(64)}`;
  expect(await retainedAcross(blob)).toBeLessThan(HOST_BOUND_BYTES);
}, 120_000);
