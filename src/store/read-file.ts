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

/** Sends `span` of an open cached file; returns the bytes sent. Resolves when the response ended. */
export async function sendFile(handle: FileHandle, span: ByteSpan | undefined, out: BlobOutput): Promise<number> {
  if (span === undefined || span.end < span.start) {
    out.end();
    return 0;
  }
  const stream = createReadStream('', { fd: handle, start: span.start, end: span.end, highWaterMark: READ_BYTES, autoClose: false });
  let sent = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      await out.write(chunk);
      sent += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  out.end();
  return sent;
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
  while (position <= end) {
    if (signal.aborted) throw new UpstreamFailure('aborted', 'client went away');
    if (fill.generation !== generation || (fill.state === 'failed' && !fill.verified)) throw fill.error ?? new UpstreamFailure('digest_mismatch', `the copy of ${fill.digest} being sent turned out wrong`);
    // The span may end before the fill verified (a Range on the start of a large blob): its last byte waits for
    // the verdict, so a copy the digest refutes breaks the answer instead of completing a 206 of wrong bytes.
    const readable = Math.min(fill.available - 1, fill.verified ? end : end - 1);
    if (readable < position) {
      await untilChangedOrAborted(fill, signal);
      continue;
    }
    const live = fill.live(position);
    if (live) position += await sendUpTo(live, readable - position + 1, out);
    else position += await back.send(fill.handle as FileHandle, position, Math.min(readable, fill.inFileBefore - 1));
  }
  out.end();
  return position - (span?.start ?? 0);
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
