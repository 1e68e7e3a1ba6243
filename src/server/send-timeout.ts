// The send timeout: a client that stops reading must not hold the upstream
// request (and its pooled connection) it is fed from. A write that cannot be
// taken waits for 'drain' at most `timeoutMs`; then the client connection is
// destroyed, which aborts the request's upstream work (server/app.ts).
import type { ServerResponse } from 'node:http';
import type { Timers } from '../upstream/stall.js';
import { UpstreamFailure } from '../upstream/failure.js';

export interface SendTimeout {
  readonly ms: number;
  readonly timers: Timers;
}

/**
 * Writes `chunk`: undefined when the socket took it at once (no promise per
 * chunk on the fast path), else a promise that resolves once it drained and
 * rejects `aborted` when the client left or stalled.
 */
export function writeWithin(res: ServerResponse, chunk: Buffer, limit: SendTimeout): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(gone());
  if (res.write(chunk)) return undefined;
  return within(res, limit, (settle) => {
    const onDrain = () => settle();
    res.once('drain', onDrain);
    return () => res.off('drain', onDrain);
  });
}

/**
 * Writes `chunks` corked, so the socket sends them in one writev; waits for
 * them as writeWithin does (drain within the timeout). The caller keeps the
 * run small (256 KiB): the whole of it must be taken within the timeout.
 */
export function writeAllWithin(res: ServerResponse, chunks: Buffer[], limit: SendTimeout): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(gone());
  res.cork();
  try {
    for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i] as Buffer);
    return writeWithin(res, chunks[chunks.length - 1] as Buffer, limit);
  } finally {
    res.uncork();
  }
}

/**
 * Writes `chunk`; resolves once the socket handed it to the kernel, so its
 * buffer may be reused, and rejects `aborted` when the client left or stalled.
 */
export function writeFlushedWithin(res: ServerResponse, chunk: Buffer, limit: SendTimeout): Promise<void> {
  if (res.destroyed) return Promise.reject(gone());
  return within(res, limit, (settle) => {
    // The callback runs once the bytes left the socket's queue (never synchronously), or with an error when it broke.
    res.write(chunk, (err) => settle(err ? gone() : undefined));
    return () => {};
  });
}

const gone = () => new UpstreamFailure('aborted', 'client went away');

/** Waits for what `arm` listens to, at most `limit.ms`; then the client connection is destroyed. */
function within(res: ServerResponse, limit: SendTimeout, arm: (settle: (error?: UpstreamFailure) => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (error?: UpstreamFailure) => {
      if (done) return;
      done = true;
      cancel();
      disarm();
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => settle(gone());
    const cancel = limit.timers.after(limit.ms, () => {
      settle(new UpstreamFailure('aborted', `client accepted no bytes for ${limit.ms} ms (server.send_timeout_ms)`));
      res.destroy();
    });
    const disarm = arm(settle);
    res.once('close', onClose);
  });
}
