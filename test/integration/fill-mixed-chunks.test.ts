// The disk cache's cold path (upstream/body-flow.ts, held-chunks.ts,
// store/fill.ts, read-file.ts sendGrowing) fed by a mirror mixing 1-byte and
// 128 KiB chunks, paced, while clients read in fits (every wait/resume
// boundary), ask ranges and join mid-fill, and a small fill-memory bound
// forces tails and readers through the file: every clean answer is
// byte-exact, a copy the digest refutes never ends cleanly for anyone (whole
// or Range), and fill memory stays within its bound.
import { createHash } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { untilFillsEnded } from '../helpers/blob-fills.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { mixedChunks, type MixedChunks } from '../fakes/mixed-chunks.js';
import { rawRead, type RawAnswer } from '../helpers/raw-reader.js';

const MiB = 1024 * 1024;
const image = makeImage(79, [9 * MiB + 4099]);
const layer = image.layers[0] as { digest: string; content: Buffer };
const path = `/v2/src/ns/app/blobs/${layer.digest}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const SIZES = [1, 65536, 3, 17_000, 1, 1, 131_072, 7, 4096, 1];
const FILL_MEMORY = 1 * MiB;

let upstream: MixedChunks | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await upstream?.stop();
  proxy = undefined;
  upstream = undefined;
});

async function world(flipAt?: number): Promise<TestProxy> {
  upstream = await mixedChunks(layer.content, { sizes: SIZES, pauseEvery: 7, pauseMs: 2, ...(flipAt === undefined ? {} : { flipAt }) });
  proxy = await startTestProxy(mirrorRules(`${upstream.host}/ns`, [], []), { aliases: { src: upstream.host }, body_idle_timeout_ms: 5_000 }, {
    cache: { blobs: { dir: tempDir('cache'), max_fill_memory_bytes: FILL_MEMORY } },
  });
  return proxy;
}

const readers = (url: string): Promise<RawAnswer>[] => [
  rawRead(url, path, { burst: 1, pauseMs: 3, boundMs: 60_000 }),
  rawRead(url, path, { burst: 5, pauseMs: 40, boundMs: 60_000 }),
  rawRead(url, path, { burst: 1000, pauseMs: 1, boundMs: 60_000 }),
  rawRead(url, path, { range: 'bytes=0-70000', burst: 1, pauseMs: 2, boundMs: 60_000 }),
  rawRead(url, path, { range: `bytes=${layer.content.length - 5000}-`, burst: 1, pauseMs: 2, boundMs: 60_000 }),
  rawRead(url, path, { range: 'bytes=65535-65537', burst: 1, pauseMs: 2, boundMs: 60_000 }),
];

const late = (url: string, ms: number): Promise<RawAnswer[]> => new Promise((resolve) => setTimeout(() => resolve(Promise.all(readers(url))), ms));

function expected(range: { start: number; end: number } | undefined): Buffer {
  return range ? layer.content.subarray(range.start, range.end + 1) : layer.content;
}
const SPANS = [undefined, undefined, undefined, { start: 0, end: 70000 }, { start: layer.content.length - 5000, end: layer.content.length - 1 }, { start: 65535, end: 65537 }];

it('a mirror mixing 1-byte and 128 KiB chunks, read in fits by whole and Range readers joining at any time: every clean answer byte-exact', async () => {
  const p = await world();
  const answers = (await Promise.all([Promise.all(readers(p.url)), late(p.url, 150), late(p.url, 600)])).flat();
  answers.forEach((a, i) => {
    const want = expected(SPANS[i % SPANS.length]);
    expect(a.clean, `reader ${i} status ${a.status} got ${a.body.length}/${a.declared}`).toBe(true);
    expect(a.body.equals(want), `reader ${i} bytes`).toBe(true);
  });
  expect(sha(answers[0]?.body ?? Buffer.alloc(0))).toBe(layer.digest);
  await untilFillsEnded(p, 1);
  expect(p.proxy.fillMemory.peak).toBeGreaterThan(0);
  expect(p.proxy.fillMemory.peak).toBeLessThanOrEqual(FILL_MEMORY);
  expect(p.proxy.fillMemory.bytes).toBe(0);
});

for (const flipAt of [0, 65536, 4 * MiB + 1, layer.content.length - 1]) {
  it(`a copy wrong at byte ${flipAt} never ends cleanly for any reader, whole or Range`, async () => {
    const p = await world(flipAt);
    const answers = (await Promise.all([Promise.all(readers(p.url)), late(p.url, 150)])).flat();
    answers.forEach((a, i) => {
      const want = expected(SPANS[i % SPANS.length]);
      // A clean end must be the right bytes; a wrong or short body must be broken.
      if (a.clean && a.status >= 200 && a.status < 300) expect(a.body.equals(want), `reader ${i} ended cleanly on wrong bytes (status ${a.status}, ${a.body.length} bytes)`).toBe(true);
    });
    // The whole-blob readers cover the wrong byte: none of them may end cleanly.
    for (const i of [0, 1, 2, 6, 7, 8]) expect(answers[i]?.clean && answers[i]?.status === 200, `whole reader ${i}`).toBe(false);
  });
}
