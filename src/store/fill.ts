// One fill of the disk cache: a verified fetch written to a temporary file
// that every client asking for the digest meanwhile reads as it grows. The
// upstream is read at its own speed (the file absorbs slow clients); bytes
// are readable once released by the verifier, and a blob of up to
// `verifyBeforeServe` bytes only once it verified whole. When a copy turns
// out wrong the fill starts over (a new generation): readers that already
// sent bytes break their response, the others wait for the new copy.
//
// The latest released chunks also stay in memory (`recent`, bounded in
// bytes, shared by every reader): a reader that keeps up sends those very
// Buffers, with no read-back from the file; one that falls behind reads the
// file until it is back inside the window (read-file.ts). Chunks go to the
// file in batches behind the feed (batch-writer.ts); the window forgets only
// chunks already in the file. The memory of all fills together is bounded
// (fill-memory.ts): past that bound a chunk is not held, the fetch waits for
// the disk, and readers read the chunk from the file once it is there.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { BatchWriter } from './batch-writer.js';
import type { BlobDisk } from './disk.js';
import { FillMemory } from './fill-memory.js';
import type { VerifiedSink } from './verified-fetch.js';

/**
 * Released bytes kept in memory for readers that keep up (one that lags by
 * more than its socket's queue, 1 MiB, is not keeping up); the bound of a
 * fill's own memory.
 */
export const LIVE_WINDOW_BYTES = 2 * 1024 * 1024;

/** Released bytes not yet in the file beyond which the fetch waits for the disk: the rest of a fill's memory bound. */
export const UNWRITTEN_BYTES = 4 * 1024 * 1024;

/**
 * A reader's place in the feed. The window keeps the chunks from the
 * hindmost reader's place on, up to twice its size: a reader that was pushed
 * out while its socket took a write, or that reads the file back to the
 * window's edge, finds the edge where it left it and rejoins the feed,
 * instead of chasing an edge that moves on during every read-back (each read
 * then fetching only what the feed forgot meanwhile, to the end of the blob).
 * A reader slower than the feed for longer falls out and reads the file.
 */
export interface FillCursor {
  position: number;
}

/** The most chunks the window keeps, whatever their bytes (tiny chunks from an upstream are as many objects). */
const WINDOW_CHUNKS = 4096;

export class BlobFill implements VerifiedSink {
  size: number | undefined;
  /** Bytes readers may read (from `recent` or, below it, from the file). */
  available = 0;
  generation = 0;
  state: 'running' | 'done' | 'failed' = 'running';
  /** The whole copy matched its digest: every byte may be sent, even before the file is committed. */
  verified = false;
  error: Error | undefined;
  from = '';
  handle: FileHandle | undefined;
  /** Bytes taken into this copy (in `recent`, and in the file or on their way to it). */
  private received = 0;
  private writer: BatchWriter | undefined;
  private hold = true;
  private temp: string | undefined;
  private readers = 0;
  /** No request can join any more (the single flight is over). */
  private sealed = false;
  private readonly stale: FileHandle[] = [];
  private waiters: (() => void)[] = [];
  /** This copy's latest chunks in order, the first starting at `recentStart`; all before it are in the file. */
  private recent: Buffer[] = [];
  private recentStart = 0;
  private recentBytes = 0;
  private readonly cursors = new Set<FillCursor>();
  /** A wake of the readers for released bytes is due this turn. */
  private releasing = false;

  constructor(
    private readonly disk: BlobDisk,
    readonly digest: string,
    private readonly verifyBeforeServe: number,
    private readonly window = LIVE_WINDOW_BYTES,
    private readonly unwritten = UNWRITTEN_BYTES,
    /** The bound over all fills' memory. */
    private readonly memory = new FillMemory(Number.POSITIVE_INFINITY),
  ) {}

  async begin(size: number | undefined, from: string): Promise<void> {
    this.temp = this.disk.tempPath();
    // Only this user may change a cached file (the disk cache serves no other).
    const handle = await open(this.temp, 'w+', 0o600);
    this.handle = handle;
    const writer = new BatchWriter(handle, () => {
      // A write of a copy already abandoned forgets nothing of the current one.
      if (this.writer === writer) this.forgetWritten();
    });
    this.writer = writer;
    this.size = size;
    this.from = from;
    this.received = 0;
    this.hold = size === undefined || size <= this.verifyBeforeServe;
    this.notify();
  }

  /**
   * Readers get the chunk at once and it is queued for the file; the fetch
   * waits only when the disk is behind by more than `unwritten` bytes (never
   * for a client). Throws (or rejects) once a write to the file failed.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    const writer = this.writer as BatchWriter;
    if (!this.memory.take(chunk.length)) return this.throughFile(writer, chunk);
    this.keep(writer, chunk);
    if (!this.hold) this.release(this.received);
    return writer.unwritten > this.unwritten ? writer.until(this.unwritten) : undefined;
  }

  /**
   * The digest matched: readers may send the tail now; the file gets its name
   * only after fsync (a crash can leave no named file short of its bytes).
   */
  async finish(tail: Buffer | undefined, size: number): Promise<void> {
    const writer = this.writer as BatchWriter;
    this.size = size;
    this.verified = true;
    // Nothing is held back any more: the tail goes the way of every chunk (released at once, or once in the file).
    this.hold = false;
    if (tail) await this.write(tail);
    else this.release(size);
    await writer.until(0);
    // A file the cache will not keep (larger than the whole cache) is only read by this fill's clients, then
    // removed: an fsync would hold a pool thread while the disk flushes bytes nobody reads again.
    if (this.disk.keeps(this.digest, size)) await (this.handle as FileHandle).sync();
    await this.disk.commit(this.temp as string, this.digest, size);
    // Every byte is in the file: readers still sending read it there, the bound over all fills is given back now.
    this.forgetAll(size);
    this.state = 'done';
    this.notify();
  }

  async restart(): Promise<boolean> {
    if (this.handle) this.stale.push(this.handle);
    if (this.temp) await unlink(this.temp).catch(() => {});
    this.handle = undefined;
    this.writer = undefined;
    this.size = undefined;
    this.available = 0;
    this.received = 0;
    this.forgetAll(0);
    this.generation++;
    this.notify();
    return true;
  }

  /** May readers send bytes? A small blob only once verified whole; a large one once its size is known. */
  get streamable(): boolean {
    return this.verified || (this.state === 'running' && this.size !== undefined && !this.hold);
  }

  /** The fetch ended without a verified copy (or, verified, could not be committed: its readers still finish). */
  fail(error: Error): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.error = error;
    // An unverified copy is sent no further (its readers break): its window is given back now, not when they leave.
    if (!this.verified) this.forgetAll(this.received);
    if (this.temp) void unlink(this.temp).catch(() => {});
    this.notify();
  }

  /** The released bytes from `position` held in memory (the Buffer itself or a view of it), or undefined below the window. */
  live(position: number): Buffer | undefined {
    // Released bytes past the window's end are only in the file (never an empty view: a reader would spin on it).
    let start = this.recentStart + this.recentBytes;
    if (position < this.recentStart || position >= this.available || position >= start) return undefined;
    // A reader that keeps up asks for the newest bytes: search from the end.
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const chunk = this.recent[i] as Buffer;
      start -= chunk.length;
      if (position >= start) {
        const end = Math.min(chunk.length, this.available - start);
        return position === start && end === chunk.length ? chunk : chunk.subarray(position - start, end);
      }
    }
    return undefined;
  }

  /**
   * The released bytes from `position` up to `last` held in memory, as the
   * chunks themselves (views at the ends), at most `most` bytes (always at
   * least one chunk): a reader that is behind by several chunks sends them in
   * one write. Empty below the window.
   */
  liveRun(position: number, last: number, most: number): Buffer[] {
    const first = this.live(position);
    if (!first) return [];
    const end = Math.min(last + 1, this.available);
    const run = [first.length > end - position ? first.subarray(0, end - position) : first];
    let at = position + (run[0] as Buffer).length;
    let bytes = at - position;
    // The chunks after the first, found walking back from the window's end (the run is short, the window long).
    let start = this.recentStart + this.recentBytes;
    let i = this.recent.length;
    while (i > 0 && start > at) start -= (this.recent[--i] as Buffer).length;
    for (; i < this.recent.length && at < end; i++) {
      const chunk = this.recent[i] as Buffer;
      const piece = chunk.length > end - at ? chunk.subarray(0, end - at) : chunk;
      if (bytes + piece.length > most) break;
      run.push(piece);
      at += piece.length;
      bytes += piece.length;
    }
    return run;
  }

  /** The first byte not in the file for sure: below it a reader reads the file. */
  get inFileBefore(): number {
    return this.recentStart;
  }

  /** Calls `wake` once, at the next change (bytes, size, a new generation, the end). */
  onChange(wake: () => void): void {
    this.waiters.push(wake);
  }

  attach(): void {
    this.readers++;
  }

  detach(): void {
    this.readers--;
    this.closeIfIdle();
  }

  /** A sending reader's place, kept in the window while it is within reach (see FillCursor); `unfollow` when it ends. */
  follow(cursor: FillCursor): void {
    this.cursors.add(cursor);
  }

  unfollow(cursor: FillCursor): void {
    this.cursors.delete(cursor);
  }

  /** Called once no request can join: the handles close when the last reader leaves. */
  seal(): void {
    this.sealed = true;
    this.closeIfIdle();
  }

  /**
   * Past the bound over all fills: the chunk goes to the file before readers
   * see it, the fetch waiting for the disk; once everything is written the
   * window is let go, and readers read from the file.
   */
  private async throughFile(writer: BatchWriter, chunk: Buffer): Promise<void> {
    writer.push(chunk);
    this.received += chunk.length;
    await writer.until(0);
    this.forgetAll(this.received);
    if (!this.hold) this.release(this.received);
  }

  /**
   * Queues a chunk already counted against the bound over all fills for the
   * file and keeps it in the window; a failed push gives that count back.
   */
  private keep(writer: BatchWriter, chunk: Buffer): void {
    try {
      writer.push(chunk);
    } catch (err) {
      this.memory.free(chunk.length);
      throw err;
    }
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    this.received += chunk.length;
  }

  /** Lets go of the whole window; every byte before `start` is in the file. */
  private forgetAll(start: number): void {
    this.memory.free(this.recentBytes);
    this.recent = [];
    this.recentBytes = 0;
    this.recentStart = start;
  }

  /**
   * Forgets the oldest chunks beyond the window, only those already in the
   * file (readers behind read them back), and, up to twice the window, only
   * those every reader has sent.
   */
  private forgetWritten(): void {
    const written = (this.writer as BatchWriter).written;
    const sent = this.hindmost();
    let drop = 0;
    let start = this.recentStart;
    let bytes = this.recentBytes;
    while (drop < this.recent.length - 1) {
      const first = (this.recent[drop] as Buffer).length;
      const unread = start + first > sent && bytes - first < 2 * this.window;
      const beyondWindow = (bytes - first >= this.window && !unread) || this.recent.length - drop > WINDOW_CHUNKS;
      if (start + first > written || !beyondWindow) break;
      drop++;
      start += first;
      bytes -= first;
    }
    // One splice, not a shift per chunk: the window may hold thousands of tiny chunks.
    if (drop > 0) this.recent.splice(0, drop);
    this.memory.free(this.recentBytes - bytes);
    this.recentStart = start;
    this.recentBytes = bytes;
  }

  /** The place of the reader furthest behind (infinite without readers). */
  private hindmost(): number {
    let least = Number.POSITIVE_INFINITY;
    for (const cursor of this.cursors) least = Math.min(least, cursor.position);
    return least;
  }

  /**
   * Readers learn of released bytes once per turn of the event loop, not per
   * chunk: the chunks one read of the upstream socket delivered (libuv reads
   * a readable socket several times in a row) reach each reader together, and
   * it sends them in one write (read-file.ts) instead of one write per chunk.
   */
  private release(available: number): void {
    this.available = available;
    if (this.releasing) return;
    this.releasing = true;
    setImmediate(() => {
      this.releasing = false;
      this.notify();
    });
  }

  /** The file handles stay open while readers use them, whatever happens to the file's name. */
  private closeIfIdle(): void {
    if (this.readers > 0 || !this.sealed) return;
    this.forgetAll(this.received);
    for (const h of [...this.stale, ...(this.handle ? [this.handle] : [])]) void h.close().catch(() => {});
    this.stale.length = 0;
    this.handle = undefined;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
