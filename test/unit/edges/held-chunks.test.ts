// Upstream chunks held in memory (upstream/held-chunks.ts) and the no-cache
// client sink that holds a blob until it verified (store/client-sink.ts):
// however an upstream cuts its body, what is held is a few Buffers, not one
// per chunk (red-team F1: one-byte HTTP chunks were one Buffer per byte).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteGate } from '../../../src/pull/bounded-json.js';
import { ClientSink } from '../../../src/store/client-sink.js';
import type { BlobOutput } from '../../../src/store/output.js';
import { HeldChunks, SMALL_CHUNK } from '../../../src/upstream/held-chunks.js';

const bytes = randomBytes(200_000);
const oneByOne = (b: Buffer) => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));

describe('HeldChunks', () => {
  it('copies small chunks together into a few slabs, in order', () => {
    const held = new HeldChunks();
    for (const c of oneByOne(bytes)) held.push(c);
    expect(held.bytes).toBe(bytes.length);
    const chunks = held.take();
    expect(chunks.length).toBeLessThanOrEqual(4);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(held.bytes).toBe(0);
    expect(held.take()).toEqual([]);
  });

  it('keeps large chunks as they are (no copy), small ones before them first', () => {
    const held = new HeldChunks();
    const big = randomBytes(SMALL_CHUNK);
    held.push(bytes.subarray(0, 10));
    held.push(big);
    held.push(bytes.subarray(10, 20));
    const chunks = held.take();
    expect(chunks.map((c) => c.length)).toEqual([10, SMALL_CHUNK, 10]);
    expect(chunks[1]).toBe(big);
    expect(Buffer.concat(chunks).equals(Buffer.concat([bytes.subarray(0, 10), big, bytes.subarray(10, 20)]))).toBe(true);
  });
});

describe('ClientSink holding a blob until it verified', () => {
  it('sends a blob that came as one-byte chunks in a few writes, whole', async () => {
    const written: Buffer[] = [];
    const out: BlobOutput = { start: () => {}, write: (c) => void written.push(Buffer.from(c)), end: () => {}, destroy: () => {} };
    const sink = new ClientSink(out, 4 * 1024 * 1024, true, () => ({ status: 200, headers: {} }), { gate: new ByteGate(64 * 1024 * 1024, 1000), signal: new AbortController().signal });
    await sink.begin(bytes.length, 'mirror');
    for (const c of oneByOne(bytes)) expect(sink.write(c)).toBeUndefined();
    await sink.finish(undefined, bytes.length);
    expect(written.length).toBeLessThanOrEqual(4);
    expect(Buffer.concat(written).equals(bytes)).toBe(true);
  });
});
