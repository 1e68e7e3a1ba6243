// Sending cached bytes: a whole cached file through reused large buffers, or a
// fill's growing file as its bytes become readable.
import type { FileHandle } from 'node:fs/promises';
import { UpstreamFailure } from '../upstream/failure.js';
import type { ByteSpan } from '../core/oci/range.js';
import type { BlobFill } from './fill.js';
import type { FileBuffers } from './file-buffers.js';
import type { BlobOutput } from './output.js';

/**
 * Sends `span` of an open cached file through two buffers, one read into
 * while the other is written, each reused once the socket took its bytes
 * (file-buffers.ts): a response holds two buffers however slow its client,
 * and no read leaves a fresh Buffer behind. Returns the bytes sent; resolves
 * when the response ended; throws when `signal` aborts or the client left or
 * stalled (took no bytes for the send timeout).
 */
export async function sendFile(handle: FileHandle, span: ByteSpan | undefined, out: BlobOutput, signal: AbortSignal, pool: FileBuffers): Promise<number> {
  const first = span?.start ?? 0;
  const last = span === undefined ? -1 : span.end;
  // A pipelined response queued behind another lends only once it owns the connection: one connection holds
  // one response's buffers, however many requests it sent at once (red-team finding).
  await writtenOrAborted(out.owned?.(), signal);
  if (signal.aborted) throw stopped();
  const lent = pool.lend(last - first + 1);
  const slots = lent.buffers.map((buffer) => new Slot(buffer));
  let position = first;
  let whole = false;
  let written: Promise<void> = Promise.resolve();
  try {
    for (let i = 0; position <= last; i++) {
      const slot = slots[i % 2] as Slot;
      await slot.free(signal);
      if (signal.aborted) throw stopped();
      const { bytesRead } = await handle.read(slot.buffer, 0, Math.min(slot.buffer.length, last - position + 1), position);
      if (bytesRead === 0) throw new UpstreamFailure('invalid', 'cache file shorter than its recorded length');
      written = slot.send(out, bytesRead, written);
      position += bytesRead;
    }
    for (const slot of slots) await slot.free(signal);
    whole = true;
  } finally {
    // A buffer may still sit in a write the socket will never finish: reused only after a whole send.
    pool.giveBack(lent, whole && slots.every((slot) => slot.reusable));
  }
  out.end();
  return position - first;
}

/** One of sendFile's two buffers, and the write that holds it. */
class Slot {
  private pending: Promise<void> | undefined;
  reusable = true;

  constructor(public buffer: Buffer) {}

  /**
   * Writes the first `length` bytes of the buffer once the writes before
   * (`after`) left; `free` waits until the socket took them. Returns the
   * promise of that, for the next slot's write to follow.
   */
  send(out: BlobOutput, length: number, after: Promise<void>): Promise<void> {
    const bytes = this.buffer.subarray(0, length);
    const flushed = out.writeFlushed;
    if (!flushed) {
      // Without a way to learn when the socket is done with a buffer, the next read needs a fresh one.
      this.buffer = Buffer.allocUnsafeSlow(this.buffer.length);
      this.reusable = false;
      return (this.pending = Promise.resolve(out.write(bytes)));
    }
    // Whole, where the send timeout sees the client take part of a write; else in pieces it can judge (output.ts).
    const piece = out.largestWrite ?? bytes.length;
    this.pending = after.then(async () => {
      for (let at = 0; at < bytes.length; at += piece) await flushed.call(out, bytes.subarray(at, at + piece));
    });
    // Observed at the next free(); until then a rejection must not count as unhandled.
    this.pending.catch(() => {});
    return this.pending;
  }

  /** Waits until the socket took this slot's bytes; rejects when `signal` aborts first (a slow reader past the pull deadline). */
  async free(signal: AbortSignal): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    await writtenOrAborted(pending, signal);
  }
}

const stopped = () => new UpstreamFailure('aborted', 'request aborted');

/** Waits for a pending write, or rejects as soon as `signal` aborts (the caller breaks the response). */
function writtenOrAborted(pending: Promise<void> | undefined, signal: AbortSignal): Promise<void> | undefined {
  if (!pending) return undefined;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Sends `span` of a fill as it grows, its last byte only once the fill
 * verified: from the fill's memory while this reader keeps up (the very
 * Buffers released, shared by every reader), from the file when it fell
 * behind, through one buffer lent from `pool` that also caps what one write
 * of live chunks pins (file-buffers.ts). Throws when the fill failed or
 * started over after this response had begun (the caller breaks it).
 */
export async function sendGrowing(fill: BlobFill, generation: number, span: ByteSpan | undefined, out: BlobOutput, signal: AbortSignal, pool: FileBuffers): Promise<number> {
  // Like sendFile: a queued pipelined response lends nothing, and pins no chunks, until it owns the connection.
  await writtenOrAborted(out.owned?.(), signal);
  if (signal.aborted) throw stopped();
  let position = span?.start ?? 0;
  const end = span === undefined ? -1 : span.end;
  const lent = pool.lendOne();
  const back = new ReadBack(out, lent.buffers[0] as Buffer);
  const wait = new FillWait(fill, signal);
  const cursor = { position };
  fill.follow(cursor);
  try {
    while (position <= end) {
      cursor.position = position;
      if (signal.aborted) throw new UpstreamFailure('aborted', 'client went away');
      if (fill.generation !== generation || (fill.state === 'failed' && !fill.verified)) throw fill.error ?? new UpstreamFailure('digest_mismatch', `the copy of ${fill.digest} being sent turned out wrong`);
      // The span may end before the fill verified (a Range on the start of a large blob): its last byte waits for
      // the verdict, so a copy the digest refutes breaks the answer instead of completing a 206 of wrong bytes.
      const readable = Math.min(fill.available - 1, fill.verified ? end : end - 1);
      if (readable < position) {
        await wait.next();
        continue;
      }
      const live = fill.liveRun(position, readable, back.size);
      if (live.length > 0) position += await sendLive(live, out);
      else position += await back.send(fill.handle as FileHandle, position, Math.min(readable, fill.inFileBefore - 1));
    }
  } finally {
    fill.unfollow(cursor);
    wait.close();
    // Not shared, so never reused: giving back only returns its bytes to the budget.
    pool.giveBack(lent, false);
  }
  out.end();
  return position - (span?.start ?? 0);
}

/**
 * A request's waits for its fill's next change: one abort listener for the
 * whole send and one promise per wait (a reader that keeps up waits once per
 * chunk, and 64 readers of one fill wait 64 times per chunk).
 */
export class FillWait {
  private resolve: (() => void) | undefined;
  private readonly wake = (): void => {
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  };

  constructor(
    private readonly fill: BlobFill,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', this.wake, { once: true });
  }

  /** Resolves at the fill's next change, or at once when the signal aborted. */
  next(): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.fill.onChange(this.wake);
    });
  }

  close(): void {
    this.signal.removeEventListener('abort', this.wake);
  }
}

/**
 * Sends a run of the fill's chunks (the Buffers themselves): one write, or
 * one corked write of them all when the output can (a reader that was held
 * up by its socket, or woken once for several chunks, makes one system
 * call, not one per chunk). Returns the bytes sent.
 */
async function sendLive(run: Buffer[], out: BlobOutput): Promise<number> {
  let bytes = 0;
  for (const chunk of run) bytes += chunk.length;
  await (run.length > 1 && out.writeAll ? out.writeAll(run) : writeEach(run, out));
  return bytes;
}

async function writeEach(run: Buffer[], out: BlobOutput): Promise<void> {
  for (const chunk of run) await out.write(chunk);
}

/**
 * One reader's read-back buffer, reused once the socket took the bytes sent
 * from it: a reader that is behind holds one buffer, not one per read left
 * to the garbage collector (64 readers of 1 MiB reads held 160 MiB). At most
 * 256 KiB (file-buffers.ts), within any output's largestWrite: a client whose
 * partial take the send timeout cannot see must take it whole per timeout.
 */
class ReadBack {
  constructor(
    private readonly out: BlobOutput,
    private buffer: Buffer,
  ) {}

  get size(): number {
    return this.buffer.length;
  }

  /** Sends the file from `position` up to `last` (at most one buffer's worth); returns the bytes sent. */
  async send(handle: FileHandle, position: number, last: number): Promise<number> {
    // Without a way to learn when the socket is done with a buffer, every read gets a fresh one.
    const flushed = this.out.writeFlushed;
    if (!flushed) this.buffer = Buffer.allocUnsafe(this.buffer.length);
    const { bytesRead } = await handle.read(this.buffer, 0, Math.min(last - position + 1, this.buffer.length), position);
    if (bytesRead === 0) throw new UpstreamFailure('invalid', 'cache file shorter than its recorded length');
    const bytes = this.buffer.subarray(0, bytesRead);
    await (flushed ? flushed.call(this.out, bytes) : this.out.write(bytes));
    return bytesRead;
  }
}
