// The live feed of a disk-cache fill (store/fill.ts, store/read-file.ts
// sendGrowing), driven chunk by chunk on a real cache directory with a small
// memory window: readers that keep up send the released Buffers themselves,
// a reader that falls behind (or joins late) reads the file and rejoins the
// feed, the fill never waits for a reader, and a wrong copy breaks the
// readers on the feed.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobDisk } from '../../src/store/disk.js';
import { BlobFill } from '../../src/store/fill.js';
import { FillMemory } from '../../src/store/fill-memory.js';
import type { BlobOutput } from '../../src/store/output.js';
import { FILE_BUFFER_LIMITS, FileBuffers } from '../../src/store/file-buffers.js';
import { sendGrowing } from '../../src/store/read-file.js';

const CHUNK = 16 * 1024;
const WINDOW = 4 * CHUNK;
/** The fill's bound on bytes not yet in its file: `feed` waits for the disk beyond it. */
const UNWRITTEN = 2 * CHUNK;
/** The read-back buffer of a reader behind the window, within the send budget (store/file-buffers.ts). */
const READ_BACK = FILE_BUFFER_LIMITS.small;
const blob = Buffer.from(Array.from({ length: 64 * CHUNK }, (_, i) => (i * 7 + (i >> 10)) & 0xff));
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const whole = { start: 0, end: blob.length - 1 };

let dir: string;
let disk: BlobDisk;
let released: Buffer[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mirrorgate-live-'));
  disk = await BlobDisk.open(dir, 1 << 30, { evicted: () => {}, size: () => {}, discarded: () => {} });
  released = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A client: records copies of what it was sent, and whether each piece was a released Buffer (the live feed) or not (the file). */
class Client implements BlobOutput {
  readonly received: Buffer[] = [];
  readonly live: boolean[] = [];
  ended = false;
  /** While set, the client takes one more piece and then stops reading until it is opened. */
  protected paused: Promise<void> | undefined;
  private resume: (() => void) | undefined;

  start(): void {}
  async write(chunk: Buffer): Promise<void> {
    this.received.push(Buffer.from(chunk));
    this.live.push(released.some((r) => r.buffer === chunk.buffer));
    await this.paused;
  }
  /** Runs while a read-back piece is being taken (the feed moving on meanwhile). */
  whileReadBack: (() => Promise<void>) | undefined;
  async writeFlushed(chunk: Buffer): Promise<void> {
    await this.write(chunk);
    await this.whileReadBack?.();
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {}
  pause(): void {
    this.paused = new Promise((resolve) => (this.resume = resolve));
  }
  open(): void {
    this.paused = undefined;
    this.resume?.();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }
}

/** A client that takes a run of live chunks in one write (a writev), and records each run's bytes. */
class RunClient extends Client {
  readonly runs: number[] = [];
  async writeAll(chunks: Buffer[]): Promise<void> {
    this.runs.push(chunks.reduce((n, c) => n + c.length, 0));
    for (const chunk of chunks) await this.write(chunk);
  }
}

function read(fill: BlobFill, client: Client, generation = 0): Promise<number> {
  return sendGrowing(fill, generation, whole, client, new AbortController().signal, new FileBuffers());
}

async function startFill(): Promise<BlobFill> {
  const fill = new BlobFill(disk, digest, 0, WINDOW, UNWRITTEN);
  await fill.begin(blob.length, 'mirror');
  return fill;
}

/** Releases chunks [from, to) as the verifier would, waiting as the fetch does while the file is behind by more than UNWRITTEN. */
async function feed(fill: BlobFill, from: number, to: number, content = blob): Promise<void> {
  for (let i = from; i < to; i++) {
    const chunk = Buffer.from(content.subarray(i * CHUNK, (i + 1) * CHUNK));
    released.push(chunk);
    await fill.write(chunk);
  }
}

async function finish(fill: BlobFill, from = 0): Promise<void> {
  const chunks = blob.length / CHUNK;
  await feed(fill, from, chunks - 1);
  const tail = Buffer.from(blob.subarray(blob.length - CHUNK));
  released.push(tail);
  await fill.finish(tail, blob.length);
}

describe('the live feed of a fill', () => {
  it('a slow reader among fast ones: the fill completes at its own pace; the slow one reads the file and gets every byte', async () => {
    const fill = await startFill();
    const fast = [new Client(), new Client()];
    const slow = new Client();
    slow.pause();
    const reading = [...fast, slow].map((c) => read(fill, c));
    await finish(fill);
    // Committed under its name while the slow client still sits on its first piece.
    expect(fill.state).toBe('done');
    expect(await disk.read(digest).then(async (f) => (await f?.handle.close(), f?.size))).toBe(blob.length);
    expect(slow.received).toHaveLength(1);
    slow.open();
    expect(await Promise.all(reading)).toEqual([blob.length, blob.length, blob.length]);
    for (const c of [...fast, slow]) {
      expect(c.bytes.equals(blob)).toBe(true);
      expect(c.ended).toBe(true);
    }
    // The fast ones never read back: every piece they sent was a released Buffer.
    for (const c of fast) expect(c.live.every(Boolean)).toBe(true);
    // The slow one read the file while behind; the fill had ended, its window given back (F4): the file to the end.
    expect(slow.live.includes(false)).toBe(true);
    expect(slow.live.at(-1)).toBe(false);
  });

  it('a reader joining late reads what the window forgot from the file, then follows the feed', async () => {
    const fill = await startFill();
    const first = new Client();
    const reading = [read(fill, first)];
    await feed(fill, 0, 40);
    const late = new Client();
    reading.push(read(fill, late));
    await feed(fill, 40, 63);
    const tail = Buffer.from(blob.subarray(63 * CHUNK));
    released.push(tail);
    await fill.finish(tail, blob.length);
    await Promise.all(reading);
    for (const c of [first, late]) expect(c.bytes.equals(blob)).toBe(true);
    expect(late.live[0]).toBe(false);
    expect(late.live.at(-1)).toBe(true);
  });

  it('a reader reading the file back while the feed moves on rejoins the feed where the window stood when it joined', async () => {
    const fill = await startFill();
    await feed(fill, 0, 24);
    const forgotten = fill.inFileBefore;
    expect(forgotten).toBeGreaterThan(READ_BACK);
    const late = new Client();
    // During each read-back piece the feed moves on by a chunk (less than the window), and that chunk reaches the file.
    let next = 24;
    late.whileReadBack = async () => {
      if (next >= 40) return;
      await feed(fill, next, ++next);
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    };
    const reading = read(fill, late);
    for (let turn = 0; turn < 200 && !late.live.includes(true); turn++) await new Promise((resolve) => setImmediate(resolve));
    late.whileReadBack = undefined;
    await feed(fill, next, 63);
    const tail = Buffer.from(blob.subarray(63 * CHUNK));
    released.push(tail);
    await fill.finish(tail, blob.length);
    expect(await reading).toBe(blob.length);
    expect(late.bytes.equals(blob)).toBe(true);
    // Read back: what the window had forgotten when it joined, not what it forgot during each read-back.
    const readBack = late.received.filter((_, i) => !late.live[i]).reduce((n, piece) => n + piece.length, 0);
    expect(readBack).toBe(forgotten);
    expect(late.live.indexOf(true)).toBe(late.live.lastIndexOf(false) + 1);
  });

  it('a reader that stops reading keeps at most twice the window in memory; the fill goes on and it gets every byte', async () => {
    const memory = new FillMemory(Number.POSITIVE_INFINITY);
    const fill = new BlobFill(disk, digest, 0, WINDOW, UNWRITTEN, memory);
    await fill.begin(blob.length, 'mirror');
    const stalled = new Client();
    stalled.pause();
    const reading = read(fill, stalled);
    await finish(fill);
    expect(memory.peak).toBeLessThanOrEqual(2 * WINDOW + UNWRITTEN + CHUNK);
    stalled.open();
    expect(await reading).toBe(blob.length);
    expect(stalled.bytes.equals(blob)).toBe(true);
  });

  const lentSizes = [
    ['past the send budget', { ...FILE_BUFFER_LIMITS, budget: 0 }, FILE_BUFFER_LIMITS.least],
    ['within the send budget', FILE_BUFFER_LIMITS, FILE_BUFFER_LIMITS.small],
  ] as const;
  for (const [where, limits, lentSize] of lentSizes) {
    it(`one write of live chunks carries at most the reader's lent buffer, ${where} (what a stalled reader pins)`, async () => {
      const fill = new BlobFill(disk, digest, 0, 32 * CHUNK, 32 * CHUNK);
      await fill.begin(blob.length, 'mirror');
      const client = new RunClient();
      client.pause();
      const reading = sendGrowing(fill, 0, whole, client, new AbortController().signal, new FileBuffers(limits));
      // The feed runs far ahead of the paused reader, all of it still in the window.
      await feed(fill, 0, 30);
      client.open();
      await finish(fill, 30);
      expect(await reading).toBe(blob.length);
      expect(client.bytes.equals(blob)).toBe(true);
      expect(Math.max(...client.runs)).toBe(lentSize);
    });
  }

  it('a wrong copy breaks the readers on the feed; a reader of the next copy gets it whole', async () => {
    const fill = await startFill();
    const readers = [new Client(), new Client()];
    const broken = readers.map((c) => read(fill, c).then(() => 'ended', () => 'broken'));
    const wrong = Buffer.from(blob);
    wrong[5] = (wrong[5] as number) ^ 1;
    await feed(fill, 0, 10, wrong);
    await new Promise((resolve) => setImmediate(resolve));
    for (const c of readers) expect(c.live.length > 0 && c.live.every(Boolean)).toBe(true);
    // What fetchVerified does when the digest refuted the copy.
    await fill.restart();
    await fill.begin(blob.length, 'next mirror');
    expect(await Promise.all(broken)).toEqual(['broken', 'broken']);
    for (const c of readers) expect(c.ended).toBe(false);
    const next = new Client();
    const reading = read(fill, next, fill.generation);
    await finish(fill);
    expect(await reading).toBe(blob.length);
    expect(next.bytes.equals(blob)).toBe(true);
  });

  it('a verified copy whose file cannot be committed still reaches its readers whole', async () => {
    const fill = await startFill();
    const slow = new Client();
    slow.pause();
    const reading = read(fill, slow);
    rmSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    await expect(finish(fill)).rejects.toThrow();
    fill.fail(new Error('commit failed'));
    slow.open();
    expect(await reading).toBe(blob.length);
    expect(slow.bytes.equals(blob)).toBe(true);
  });

  it('a disk that refuses the writes fails the fill: nothing is named, the reader on the feed is broken', async () => {
    const fill = await startFill();
    // The writer's file now takes no writes (EBADF), while fsync still succeeds.
    writeFileSync(join(dir, 'read-only'), '');
    await fill.handle?.close();
    fill.handle = await open(join(dir, 'read-only'), 'r');
    const reader = new Client();
    const reading = read(fill, reader).then(() => 'ended', () => 'broken');
    await expect(finish(fill)).rejects.toThrow();
    fill.fail(new Error('disk failed'));
    await fill.handle.close();
    expect(readdirSync(join(dir, 'blobs', 'sha256'))).toEqual([]);
    expect(await reading).toBe('broken');
    expect(reader.ended).toBe(false);
  });

  it('a copy that failed unverified gives its window back at once, not when its stalled reader leaves', async () => {
    const memory = new FillMemory(Number.POSITIVE_INFINITY);
    const fill = new BlobFill(disk, digest, 0, WINDOW, UNWRITTEN, memory);
    await fill.begin(blob.length, 'mirror');
    const stalled = new Client();
    stalled.pause();
    fill.attach();
    const reading = read(fill, stalled).then(() => 'ended', () => 'broken');
    await feed(fill, 0, 8);
    expect(memory.bytes).toBeGreaterThan(0);
    fill.fail(new Error('upstream broke'));
    expect(memory.bytes).toBe(0);
    stalled.open();
    expect(await reading).toBe('broken');
    fill.detach();
  });

  it('a blob verified before serving: no byte is readable before its digest matched, every byte after', async () => {
    const fill = new BlobFill(disk, digest, blob.length, WINDOW, UNWRITTEN);
    await fill.begin(blob.length, 'mirror');
    await feed(fill, 0, blob.length / CHUNK - 1);
    expect([fill.streamable, fill.available]).toEqual([false, 0]);
    const tail = Buffer.from(blob.subarray(blob.length - CHUNK));
    await fill.finish(tail, blob.length);
    expect([fill.streamable, fill.available]).toEqual([true, blob.length]);
    const client = new Client();
    expect(await read(fill, client)).toBe(blob.length);
    expect(client.bytes.equals(blob)).toBe(true);
  });

  it('a tail past the bound over all fills goes through the file: readable once there, never counted, the bound given back', async () => {
    const memory = new FillMemory(1 << 30);
    const fill = new BlobFill(disk, digest, 0, WINDOW, UNWRITTEN, memory);
    await fill.begin(blob.length, 'mirror');
    const client = new Client();
    const reading = read(fill, client);
    await feed(fill, 0, blob.length / CHUNK - 1);
    // Other fills took the rest of the bound: the tail cannot be held.
    const others = memory.limit - memory.bytes;
    expect(memory.take(others)).toBe(true);
    const tail = Buffer.from(blob.subarray(blob.length - CHUNK));
    released.push(tail);
    await fill.finish(tail, blob.length);
    expect(await reading).toBe(blob.length);
    expect(client.bytes.equals(blob)).toBe(true);
    // The tail itself was never sent: it was read back from the file.
    expect(client.live.at(-1)).toBe(false);
    memory.free(others);
    expect(memory.bytes).toBe(0);
  });
});
