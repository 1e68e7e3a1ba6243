// A blob larger than the whole disk cache (the long load test: a 2 MiB cache,
// 64 MiB layers): it is still filled once for every client asking meanwhile
// and served whole from the fill's temporary file, but never kept, so it is
// never fsynced either. An fsync of a file about to be removed bought no
// durability and held a libuv pool thread (4 by default, shared with every
// cache read and write) for as long as the disk took to flush the blob.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const image = makeImage(41, [3000, 900_000]);
const small = image.layers[0] as { digest: string; content: Buffer };
const big = image.layers[1] as { digest: string; content: Buffer };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const path = (digest: string) => `/v2/src/ns/app/blobs/${digest}`;
let source: FakeRegistry;
let dir: string;
let proxy: TestProxy | undefined;

beforeEach(async () => {
  source = await fakeRegistry();
  pushImage(source, 'ns/app', image, 'v1');
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-oversize-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await proxy?.close();
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Counts fsyncs of regular files and directories (FileHandle.sync), whoever calls them. */
async function countSyncs(): Promise<() => number> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  rmSync(join(dir, 'probe'));
  const spy = vi.spyOn(proto, 'sync');
  return () => spy.mock.calls.length;
}

it('a blob larger than the cache is served whole to every client of its fill, not kept, and never fsynced', async () => {
  // verify_before_serve below the big blob: it streams while it fills, as the load test's layers do.
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, {
    cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir, max_bytes: 100_000, verify_before_serve_bytes: 4096 } },
  });
  const syncs = await countSyncs();
  source.faults = { delayMs: 100 };
  const bodies = await Promise.all(Array.from({ length: 8 }, () => (proxy as TestProxy).get(path(big.digest))));
  for (const b of bodies) {
    expect(b.status).toBe(200);
    expect(sha(b.body)).toBe(big.digest);
  }
  expect(source.count(big.digest, 'GET')).toBe(1);
  // Responses end once the copy verified; the fill ends (commit or drop) after.
  await untilFillsEnded(proxy, 1);
  expect(syncs()).toBe(0);
  // Nothing of it stays: no named file, no temporary one.
  expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);

  // A blob the cache keeps is still fsynced before it is named (file and directory), and served from disk after.
  source.faults = {};
  expect(sha((await proxy.get(path(small.digest))).body)).toBe(small.digest);
  await untilFillsEnded(proxy, 2);
  expect(syncs()).toBeGreaterThanOrEqual(2);
  expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([small.digest.slice('sha256:'.length)]);
  expect(sha((await proxy.get(path(small.digest))).body)).toBe(small.digest);
  expect(source.count(small.digest, 'GET')).toBe(1);
});
