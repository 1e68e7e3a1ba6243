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
 * Sends `span` of a fill's file as it grows, its last byte only once the fill
 * verified. Throws when the fill failed or started over after this response
 * had begun (the caller breaks it).
 */
export async function sendGrowing(fill: BlobFill, generation: number, span: ByteSpan | undefined, out: BlobOutput, signal: AbortSignal): Promise<number> {
  let position = span?.start ?? 0;
  const end = span === undefined ? -1 : span.end;
  while (position <= end) {
    if (signal.aborted) throw new UpstreamFailure('aborted', 'client went away');
    if (fill.generation !== generation || fill.state === 'failed') throw fill.error ?? new UpstreamFailure('digest_mismatch', `the copy of ${fill.digest} being sent turned out wrong`);
    // The span may end before the fill verified (a Range on the start of a large blob): its last byte waits for
    // the verdict, so a copy the digest refutes breaks the answer instead of completing a 206 of wrong bytes.
    const readable = Math.min(fill.available - 1, fill.state === 'done' ? end : end - 1);
    if (readable < position) {
      await untilChangedOrAborted(fill, signal);
      continue;
    }
    const length = Math.min(readable - position + 1, READ_BYTES);
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await (fill.handle as FileHandle).read(buffer, 0, length, position);
    if (bytesRead === 0) throw new UpstreamFailure('invalid', 'cache file shorter than its recorded length');
    await out.write(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  out.end();
  return position - (span?.start ?? 0);
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
