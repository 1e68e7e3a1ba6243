// Sending cached bytes: a whole cached file with a large read buffer, or a
// fill's growing file as its bytes become readable.
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { UpstreamFailure } from '../upstream/failure.js';
import type { ByteSpan } from '../core/oci/range.js';
import type { BlobFill } from './fill.js';
import type { BlobOutput } from './output.js';

/** Large reads: fewer syscalls and chunks for the socket (the cost of a warm blob is the copy). */
const READ_BYTES = 1024 * 1024;

/**
 * Sends `span` of an open cached file; returns the bytes sent. Resolves when
 * the response ended; throws when `signal` aborts (the pull deadline holds for
 * a slow reader too: each write taken within the send timeout is no end).
 */
export async function sendFile(handle: FileHandle, span: ByteSpan | undefined, out: BlobOutput, signal: AbortSignal): Promise<number> {
  if (span === undefined || span.end < span.start) {
    out.end();
    return 0;
  }
  const stream = createReadStream('', { fd: handle, start: span.start, end: span.end, highWaterMark: READ_BYTES, autoClose: false });
  let sent = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal.aborted) throw stopped();
      await writtenOrAborted(out.write(chunk), signal);
      sent += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  out.end();
  return sent;
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
 * behind. Throws when the fill failed or started over after this response
 * had begun (the caller breaks it).
 */
export async function sendGrowing(fill: BlobFill, generation: number, span: ByteSpan | undefined, out: BlobOutput, signal: AbortSignal): Promise<number> {
  let position = span?.start ?? 0;
  const end = span === undefined ? -1 : span.end;
  const back = new ReadBack(out);
  const wait = new FillWait(fill, signal);
  try {
    while (position <= end) {
      if (signal.aborted) throw new UpstreamFailure('aborted', 'client went away');
      if (fill.generation !== generation || (fill.state === 'failed' && !fill.verified)) throw fill.error ?? new UpstreamFailure('digest_mismatch', `the copy of ${fill.digest} being sent turned out wrong`);
      // The span may end before the fill verified (a Range on the start of a large blob): its last byte waits for
      // the verdict, so a copy the digest refutes breaks the answer instead of completing a 206 of wrong bytes.
      const readable = Math.min(fill.available - 1, fill.verified ? end : end - 1);
      if (readable < position) {
        await wait.next();
        continue;
      }
      const live = fill.live(position);
      if (live) position += await sendUpTo(live, readable - position + 1, out);
      else position += await back.send(fill.handle as FileHandle, position, Math.min(readable, fill.inFileBefore - 1));
    }
  } finally {
    wait.close();
  }
  out.end();
  return position - (span?.start ?? 0);
}

/**
 * A reader's waits for its fill's next change: one abort listener for the
 * whole send and one promise per wait (a reader that keeps up waits once per
 * chunk, and 64 readers of one fill wait 64 times per chunk).
 */
class FillWait {
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

/** Sends at most `limit` bytes of `bytes` (a view, never a copy); returns the bytes sent. */
async function sendUpTo(bytes: Buffer, limit: number, out: BlobOutput): Promise<number> {
  await out.write(bytes.length > limit ? bytes.subarray(0, limit) : bytes);
  return Math.min(bytes.length, limit);
}

/** Read-back of a reader behind the fill's memory. */
const READ_BACK_BYTES = 256 * 1024;

/**
 * One reader's read-back buffer, reused once the socket took the bytes sent
 * from it: a reader that is behind holds one buffer, not one per read left
 * to the garbage collector (64 readers of 1 MiB reads held 160 MiB).
 */
class ReadBack {
  private buffer: Buffer | undefined;

  constructor(private readonly out: BlobOutput) {}

  /** Sends the file from `position` up to `last` (at most one buffer's worth); returns the bytes sent. */
  async send(handle: FileHandle, position: number, last: number): Promise<number> {
    // Without a way to learn when the socket is done with a buffer, every read gets a fresh one.
    const flushed = this.out.writeFlushed;
    const buffer = (flushed && this.buffer) || Buffer.allocUnsafe(READ_BACK_BYTES);
    this.buffer = buffer;
    const { bytesRead } = await handle.read(buffer, 0, Math.min(last - position + 1, READ_BACK_BYTES), position);
    if (bytesRead === 0) throw new UpstreamFailure('invalid', 'cache file shorter than its recorded length');
    const bytes = buffer.subarray(0, bytesRead);
    await (flushed ? flushed.call(this.out, bytes) : this.out.write(bytes));
    return bytesRead;
  }
}

export function untilChangedOrAborted(fill: BlobFill, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void fill.changed().then(done);
  });
}
