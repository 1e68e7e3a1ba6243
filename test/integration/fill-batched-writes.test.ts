// A fill writes its file in batches behind the live feed (store/batch-writer.ts).
// Driven against a disk that misbehaves: one that takes fewer bytes than given,
// one that takes none, one that stops answering. The file must hold every byte
// in place or the fill fails; the fetch waits once the disk is too far behind
// (memory stays bounded); the window never forgets a byte that is not in the
// file yet; a write of an abandoned copy touches nothing of the next one.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BUFFER_CHARGE } from '../../src/store/batch-writer.js';
import { BlobDisk } from '../../src/store/disk.js';
import { BlobFill } from '../../src/store/fill.js';
import type { BlobOutput } from '../../src/store/output.js';
import { FileBuffers } from '../../src/store/file-buffers.js';
import { sendGrowing } from '../../src/store/read-file.js';
import { tempDir } from '../helpers/temp.js';

const CHUNK = 16 * 1024;
const CHUNKS = 32;
const WINDOW = 2 * CHUNK;
const UNWRITTEN = 8 * CHUNK;
const blob = Buffer.from(Array.from({ length: CHUNKS * CHUNK }, (_, i) => (i * 13 + (i >> 9)) & 0xff));
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

let dir: string;
let disk: BlobDisk;

beforeEach(async () => {
  dir = tempDir('batched');
  disk = await BlobDisk.open(dir, 1 << 30, { evicted: () => {}, size: () => {}, discarded: () => {} });
});

async function startFill(): Promise<BlobFill> {
  const fill = new BlobFill(disk, digest, 0, WINDOW, UNWRITTEN);
  await fill.begin(blob.length, 'mirror');
  return fill;
}

const chunk = (i: number) => Buffer.from(blob.subarray(i * CHUNK, (i + 1) * CHUNK));

/** Feeds every chunk but the last, waiting when the fill asks to (as the fetch does); returns how many writes asked to wait. */
async function feedAll(fill: BlobFill): Promise<number> {
  let waits = 0;
  for (let i = 0; i < CHUNKS - 1; i++) {
    const wait = fill.write(chunk(i));
    if (wait) {
      waits++;
      await wait;
    }
  }
  return waits;
}

/** Replaces the fill's file writes; `writev` gets the real handle's method bound. */
function patchWrites(fill: BlobFill, writev: (real: FileHandle['writev'], buffers: Buffer[], position: number) => ReturnType<FileHandle['writev']>): void {
  const handle = fill.handle as FileHandle;
  const real = handle.writev.bind(handle) as FileHandle['writev'];
  handle.writev = ((buffers: Buffer[], position: number) => writev(real, buffers, position)) as FileHandle['writev'];
}

/** A disk that takes the first `free` writes, then answers none until opened; counts the writes asked and done. */
class HeldDisk {
  asked = 0;
  done = 0;
  private gate: Promise<void>;
  private openGate: () => void = () => {};
  private onAsked: (() => void) | undefined;

  constructor(private readonly free = 0) {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  attach(fill: BlobFill): void {
    patchWrites(fill, async (real, buffers, position) => {
      this.asked++;
      this.onAsked?.();
      if (this.asked > this.free) await this.gate;
      const result = await real(buffers, position);
      this.done++;
      return result;
    });
  }

  /** Resolves once `n` writes were asked. */
  whenAsked(n: number): Promise<void> {
    if (this.asked >= n) return Promise.resolve();
    return new Promise((resolve) => (this.onAsked = () => this.asked >= n && resolve()));
  }

  open(): void {
    this.openGate();
  }
}

class Client implements BlobOutput {
  readonly received: Buffer[] = [];
  bytes = 0;
  failed = false;
  start(): void {}
  write(bytes: Buffer): undefined {
    this.received.push(Buffer.from(bytes));
    this.bytes += bytes.length;
    return undefined;
  }
  end(): void {}
  destroy(): void {}
}

/** Waits (bounded: `turns` of 1 ms at most) until `done` holds, as file reads and writes complete. */
async function settled(done: () => boolean, turns = 2000): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

const committed = () => readFileSync(disk.pathOf(digest));

describe('batched writes of a fill', () => {
  it('a disk that takes fewer bytes than given: the rest is written in place, the named file is the blob', async () => {
    const fill = await startFill();
    let calls = 0;
    patchWrites(fill, (real, buffers, position) => {
      calls++;
      // At most 1000 bytes per call, cut inside a buffer.
      const first = buffers[0] as Buffer;
      return real([first.subarray(0, Math.min(1000, first.length))], position);
    });
    await feedAll(fill);
    await fill.finish(chunk(CHUNKS - 1), blob.length);
    fill.seal();
    expect(calls).toBeGreaterThan(blob.length / 1000);
    expect(committed().equals(blob)).toBe(true);
  });

  it('a disk that takes no bytes fails the fill (never a loop, never a named file)', async () => {
    const fill = await startFill();
    // Answered on a later turn, as a disk would: a retry loop without end would not starve the test's timeout.
    patchWrites(fill, async (_real, buffers) => {
      await new Promise((resolve) => setImmediate(resolve));
      return { bytesWritten: 0, buffers };
    });
    const fed = feedAll(fill).then(() => 'fed', (err: Error) => err.message);
    const outcome = await fed;
    // The failure reaches the fetch at its next write, its wait, or at the latest at the finish.
    const finished = outcome === 'fed' ? await fill.finish(chunk(CHUNKS - 1), blob.length).then(() => 'finished', (err: Error) => err.message) : outcome;
    expect(finished).toMatch(/took no bytes/);
    fill.fail(new Error('disk failed'));
    fill.seal();
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });

  it('a disk that stops answering: the fetch waits once UNWRITTEN bytes are not in the file, readers still get every released byte', async () => {
    const fill = await startFill();
    const held = new HeldDisk(1);
    held.attach(fill);
    const early = new Client();
    const reading = sendGrowing(fill, 0, { start: 0, end: blob.length - 1 }, early, new AbortController().signal, new FileBuffers());
    let accepted = 0;
    let waiting: Promise<void> | undefined;
    while (!waiting && accepted < CHUNKS - 1) waiting = fill.write(chunk(accepted++));
    // The fetch was told to wait after the bound (the first chunk being written, the queued ones counting
    // BUFFER_CHARGE more each), not one chunk later.
    expect(accepted).toBe(Math.floor((UNWRITTEN - CHUNK) / (CHUNK + BUFFER_CHARGE)) + 2);
    expect(held.asked).toBe(1);
    // The first write completed (the window may forget its chunk), the second hangs.
    await held.whenAsked(2);
    // A reader joining now starts at byte 0: the window must still hold what the file does not.
    const late = new Client();
    const lateReading = sendGrowing(fill, 0, { start: 0, end: blob.length - 1 }, late, new AbortController().signal, new FileBuffers()).catch((err: unknown) => {
      late.failed = true;
      throw err;
    });
    const released = accepted * CHUNK;
    await settled(() => late.bytes >= released || late.failed);
    expect(late.failed).toBe(false);
    expect(Buffer.concat(late.received).equals(blob.subarray(0, released))).toBe(true);
    held.open();
    await waiting;
    for (let i = accepted; i < CHUNKS - 1; i++) await fill.write(chunk(i));
    await fill.finish(chunk(CHUNKS - 1), blob.length);
    fill.seal();
    await Promise.all([reading, lateReading]);
    for (const c of [early, late]) expect(Buffer.concat(c.received).equals(blob)).toBe(true);
    expect(committed().equals(blob)).toBe(true);
  });

  it('the file is named only once every byte is in it: the finish waits for the writes under way', async () => {
    // An unwritten bound of the whole blob: the feed never waits, the finish must.
    const fill = new BlobFill(disk, digest, 0, WINDOW, blob.length + CHUNKS * BUFFER_CHARGE);
    await fill.begin(blob.length, 'mirror');
    const held = new HeldDisk(1);
    held.attach(fill);
    for (let i = 0; i < CHUNKS - 1; i++) expect(fill.write(chunk(i))).toBeUndefined();
    let finished = false;
    const finishing = fill.finish(chunk(CHUNKS - 1), blob.length).then(() => (finished = true));
    await held.whenAsked(2);
    // Long enough for an fsync and a rename that did not wait.
    await settled(() => finished, 200);
    expect(finished).toBe(false);
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
    held.open();
    await finishing;
    fill.seal();
    expect(committed().equals(blob)).toBe(true);
  });

  it('an upstream sending 1-byte chunks: each counts BUFFER_CHARGE more, so the fetch waits after a bounded number of them', async () => {
    const fill = await startFill();
    const held = new HeldDisk();
    held.attach(fill);
    let accepted = 0;
    let waiting: Promise<void> | undefined;
    while (!waiting && accepted < UNWRITTEN) waiting = fill.write(blob.subarray(accepted, ++accepted));
    // The first byte is being written; the queued ones count 1 + BUFFER_CHARGE each.
    expect(accepted).toBe(Math.floor((UNWRITTEN - 1) / (1 + BUFFER_CHARGE)) + 2);
    held.open();
    await waiting;
    fill.fail(new Error('done'));
    fill.seal();
  });

  it('the window keeps a bounded number of chunks, whatever their size (tiny chunks are as many objects)', async () => {
    const fill = await startFill();
    const tiny = 6000;
    for (let i = 0; i < tiny; i++) await fill.write(blob.subarray(i, i + 1));
    // Settle the last writes: the window then forgets what is in the file beyond its count.
    await fill.write(blob.subarray(tiny, tiny + 1));
    await settled(() => fill.inFileBefore > 0);
    expect(tiny).toBeLessThan(WINDOW);
    expect(fill.inFileBefore).toBeGreaterThan(0);
    fill.fail(new Error('done'));
    fill.seal();
  });

  it('a write of an abandoned copy completing after the restart leaves the next copy whole', async () => {
    const fill = await startFill();
    const held = new HeldDisk();
    held.attach(fill);
    for (let i = 0; i < 4; i++) fill.write(chunk(i));
    await fill.restart();
    held.open();
    // Between the restart and the next copy's start, the abandoned copy's writes complete (its two batches).
    await settled(() => held.done >= 2);
    expect(held.done).toBe(2);
    await fill.begin(blob.length, 'next mirror');
    const reader = new Client();
    const reading = sendGrowing(fill, fill.generation, { start: 0, end: blob.length - 1 }, reader, new AbortController().signal, new FileBuffers());
    await feedAll(fill);
    await fill.finish(chunk(CHUNKS - 1), blob.length);
    fill.seal();
    await reading;
    expect(Buffer.concat(reader.received).equals(blob)).toBe(true);
    expect(committed().equals(blob)).toBe(true);
  });
});
