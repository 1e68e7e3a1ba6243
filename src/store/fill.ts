// One fill of the disk cache: a verified fetch written to a temporary file
// that every client asking for the digest meanwhile reads as it grows. The
// upstream is read at its own speed (the file absorbs slow clients); bytes
// are readable once released by the verifier, and a blob of up to
// `verifyBeforeServe` bytes only once it verified whole. When a copy turns
// out wrong the fill starts over (a new generation): readers that already
// sent bytes break their response, the others wait for the new copy.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { BlobDisk } from './disk.js';
import type { VerifiedSink } from './verified-fetch.js';

export class BlobFill implements VerifiedSink {
  size: number | undefined;
  /** Bytes readers may read. */
  available = 0;
  generation = 0;
  state: 'running' | 'done' | 'failed' = 'running';
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

  constructor(
    private readonly disk: BlobDisk,
    readonly digest: string,
    private readonly verifyBeforeServe: number,
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

  async write(chunk: Buffer): Promise<void> {
    await (this.handle as FileHandle).write(chunk, 0, chunk.length, this.written);
    this.written += chunk.length;
    if (!this.hold) {
      this.available = this.written;
      this.notify();
    }
  }

  async finish(tail: Buffer | undefined, size: number): Promise<void> {
    if (tail) await this.write(tail);
    // A file the cache will not keep (larger than the whole cache) is only read by this fill's clients, then
    // removed: an fsync would hold a pool thread while the disk flushes bytes nobody reads again.
    if (this.disk.keeps(this.digest, size)) await (this.handle as FileHandle).sync();
    await this.disk.commit(this.temp as string, this.digest, size);
    this.size = size;
    this.available = size;
    this.state = 'done';
    this.notify();
  }

  async restart(): Promise<boolean> {
    if (this.handle) this.stale.push(this.handle);
    if (this.temp) await unlink(this.temp).catch(() => {});
    this.handle = undefined;
    this.size = undefined;
    this.available = 0;
    this.generation++;
    this.notify();
    return true;
  }

  /** May readers send bytes? A small blob only once verified whole; a large one once its size is known. */
  get streamable(): boolean {
    return this.state === 'done' || (this.state === 'running' && this.size !== undefined && !this.hold);
  }

  /** The fetch ended without a verified copy. */
  fail(error: Error): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.error = error;
    if (this.temp) void unlink(this.temp).catch(() => {});
    this.notify();
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

  /** The file handles stay open while readers use them, whatever happens to the file's name. */
  private closeIfIdle(): void {
    if (this.readers > 0 || !this.sealed) return;
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
