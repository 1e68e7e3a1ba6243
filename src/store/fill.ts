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
// file until it is back inside the window (read-file.ts). The windows of
// all fills together are bounded (fill-memory.ts): past that bound a chunk is
// not held, and is released to readers only once it is in the file.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { BlobDisk } from './disk.js';
import { FillMemory } from './fill-memory.js';
import type { VerifiedSink } from './verified-fetch.js';

/**
 * Released bytes kept in memory for readers that keep up (one that lags by
 * more than its socket's queue, 1 MiB, is not keeping up); the bound of a
 * fill's own memory.
 */
export const LIVE_WINDOW_BYTES = 2 * 1024 * 1024;

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
  private written = 0;
  private hold = true;
  private temp: string | undefined;
  private readers = 0;
  /** No request can join any more (the single flight is over). */
  private sealed = false;
  private readonly stale: FileHandle[] = [];
  private waiters: (() => void)[] = [];
  /** Released chunks in order, the first starting at `recentStart`; all before it are in the file. */
  private recent: Buffer[] = [];
  private recentStart = 0;
  private recentBytes = 0;

  constructor(
    private readonly disk: BlobDisk,
    readonly digest: string,
    private readonly verifyBeforeServe: number,
    private readonly window = LIVE_WINDOW_BYTES,
    /** The bound over all fills' memory. */
    private readonly memory = new FillMemory(Number.POSITIVE_INFINITY),
  ) {}

  async begin(size: number | undefined, from: string): Promise<void> {
    this.temp = this.disk.tempPath();
    // Only this user may change a cached file (the disk cache serves no other).
    this.handle = await open(this.temp, 'w+', 0o600);
    this.size = size;
    this.from = from;
    this.written = 0;
    this.hold = size === undefined || size <= this.verifyBeforeServe;
    this.notify();
  }

  /**
   * Readers get the chunk at once; the fetch waits only for the disk (never
   * for a client), and the window forgets only chunks already in the file.
   */
  async write(chunk: Buffer): Promise<void> {
    const kept = this.remember(chunk);
    if (!this.hold && kept) this.release(this.written + chunk.length);
    await writeAll(this.handle as FileHandle, chunk, this.written);
    this.written += chunk.length;
    if (!kept) this.fromFileOnly(this.hold ? this.available : this.written);
    this.forgetWritten();
  }

  /**
   * The digest matched: readers may send the tail now; the file gets its name
   * only after fsync (a crash can leave no named file short of its bytes).
   */
  async finish(tail: Buffer | undefined, size: number): Promise<void> {
    const kept = tail === undefined || this.remember(tail);
    this.size = size;
    this.verified = true;
    if (kept) this.release(size);
    if (tail) await writeAll(this.handle as FileHandle, tail, this.written);
    this.written = size;
    if (!kept) this.fromFileOnly(size);
    // A file the cache will not keep (larger than the whole cache) is only read by this fill's clients, then
    // removed: an fsync would hold a pool thread while the disk flushes bytes nobody reads again.
    if (this.disk.keeps(this.digest, size)) await (this.handle as FileHandle).sync();
    await this.disk.commit(this.temp as string, this.digest, size);
    this.state = 'done';
    this.notify();
  }

  async restart(): Promise<boolean> {
    if (this.handle) this.stale.push(this.handle);
    if (this.temp) await unlink(this.temp).catch(() => {});
    this.handle = undefined;
    this.size = undefined;
    this.available = 0;
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
    if (this.temp) void unlink(this.temp).catch(() => {});
    this.notify();
  }

  /** The released bytes from `position` held in memory (the Buffer itself or a view of it), or undefined below the window. */
  live(position: number): Buffer | undefined {
    if (position < this.recentStart || position >= this.available) return undefined;
    let start = this.recentStart;
    for (const chunk of this.recent) {
      if (position < start + chunk.length) {
        const end = Math.min(chunk.length, this.available - start);
        return position === start && end === chunk.length ? chunk : chunk.subarray(position - start, end);
      }
      start += chunk.length;
    }
    return undefined;
  }

  /** The first byte not in the file for sure: below it a reader reads the file. */
  get inFileBefore(): number {
    return this.recentStart;
  }

  /** Resolves at the next change (bytes, size, a new generation, the end). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  attach(): void {
    this.readers++;
  }

  detach(): void {
    this.readers--;
    this.closeIfIdle();
  }

  /** Called once no request can join: the handles close when the last reader leaves. */
  seal(): void {
    this.sealed = true;
    this.closeIfIdle();
  }

  /** Holds `chunk` for the readers that keep up, when the bound over all fills allows; false when not held. */
  private remember(chunk: Buffer): boolean {
    if (!this.memory.take(chunk.length)) {
      // Every chunk held is in the file already (writes are sequential): readers find them there.
      this.forgetAll(this.written);
      return false;
    }
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    return true;
  }

  /** A chunk not held is in the file now: readers read up to `available` from there. */
  private fromFileOnly(available: number): void {
    this.recentStart = this.written;
    this.release(available);
  }

  /** Lets go of the whole window; every byte before `start` is in the file. */
  private forgetAll(start: number): void {
    this.memory.free(this.recentBytes);
    this.recent = [];
    this.recentBytes = 0;
    this.recentStart = start;
  }

  private forgetWritten(): void {
    // Writes are sequential: once one resolved, every chunk held is in the file and may be forgotten.
    while (this.recent.length > 1 && this.recentBytes - (this.recent[0] as Buffer).length >= this.window) {
      const first = this.recent.shift() as Buffer;
      this.recentBytes -= first.length;
      this.memory.free(first.length);
      this.recentStart += first.length;
    }
  }

  private release(available: number): void {
    this.available = available;
    this.notify();
  }

  /** The file handles stay open while readers use them, whatever happens to the file's name. */
  private closeIfIdle(): void {
    if (this.readers > 0 || !this.sealed) return;
    this.forgetAll(this.written);
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

/** A write may take fewer bytes than given (a full disk): write the rest, or fail, never leave a hole. */
async function writeAll(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('the cache file took no bytes');
    done += bytesWritten;
  }
}
