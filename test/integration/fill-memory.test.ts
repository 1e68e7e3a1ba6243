// The memory of disk-cache fills is bounded over all fills together
// (cache.blobs.max_fill_memory_bytes), not only per fill: sixteen concurrent
// fills of distinct blobs from a fast mirror would otherwise hold sixteen
// 2 MiB windows. Past the bound a fill's readers read its file. The bytes
// held are counted (mirrorgate_blob_fill_memory_bytes); they never exceed the
// bound, every pull verifies, and all of it is given back at the end.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const FILLS = 16;
const BLOB_BYTES = 3 * 1024 * 1024;
const BOUND = 4 * 1024 * 1024;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let mirror: FakeRegistry | undefined;
let source: FakeRegistry | undefined;
let proxy: TestProxy | undefined;
let dir: string | undefined;

afterEach(async () => {
  await proxy?.close();
  await Promise.all([mirror?.stop(), source?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fill memory bound', () => {
  it('sixteen concurrent fills of distinct blobs hold no more than the bound, and every pull verifies', async () => {
    [mirror, source] = await Promise.all([fakeRegistry(), fakeRegistry()]);
    // Every other blob is small enough to be verified whole before it is served; the rest stream as they come.
    const blobs = Array.from({ length: FILLS }, (_, i) => randomBytes(i % 2 === 0 ? BLOB_BYTES : BLOB_BYTES / 2));
    const digests = blobs.map((b) => mirror?.putBlob(b) as string);
    dir = mkdtempSync(join(tmpdir(), 'mirrorgate-fill-memory-'));
    proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [`${mirror.host}/ns`], []), { aliases: { src: source.host } }, {
      cache: { max_bytes: 1, tag_ttl_ms: 1, negative_ttl_ms: 1, stale_if_error: false, blobs: { dir, max_fill_memory_bytes: BOUND, verify_before_serve_bytes: 2 * 1024 * 1024 } },
    });
    const p = proxy;
    // Some ask with a Range covering the whole blob (a 206 from the same fill).
    const bodies = await Promise.all(digests.map((d, i) => p.get(`/v2/src/ns/app/blobs/${d}`, i % 4 < 2 ? {} : { range: `bytes=0-${(blobs[i] as Buffer).length - 1}` })));
    for (const [i, res] of bodies.entries()) {
      expect(res.status === 200 || res.status === 206).toBe(true);
      expect(sha(res.body)).toBe(digests[i]);
    }
    const memory = p.proxy.fillMemory;
    expect(memory.peak).toBeGreaterThan(0);
    expect(memory.peak).toBeLessThanOrEqual(BOUND);
    // Given back as each fill commits its file and its last reader leaves (a client may see its last byte first).
    await vi.waitFor(() => expect(memory.bytes).toBe(0), { timeout: 10_000, interval: 20 });
    const metrics = (await p.get('/metrics')).body.toString();
    expect(metrics).toMatch(/^mirrorgate_blob_fill_memory_bytes 0$/m);
  });
});
