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
 * Writes `chunk`; resolves once it is accepted (or, `untilFlushed`, once it
 * left the process, so its buffer may be reused), rejects `aborted` when the
 * client left or stalled.
 */
export function writeWithin(res: ServerResponse, chunk: Buffer, limit: SendTimeout, untilFlushed = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new UpstreamFailure('aborted', 'client went away'));
    // The write callback runs once the socket handed the bytes to the kernel (never synchronously).
    const accepted = untilFlushed ? (res.write(chunk, (err) => settle(err ? new UpstreamFailure('aborted', 'client went away') : undefined)), false) : res.write(chunk);
    if (accepted) return resolve();
    const settle = (error?: UpstreamFailure) => {
      cancel();
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new UpstreamFailure('aborted', 'client went away'));
    const cancel = limit.timers.after(limit.ms, () => {
      settle(new UpstreamFailure('aborted', `client accepted no bytes for ${limit.ms} ms (server.send_timeout_ms)`));
      res.destroy();
    });
    if (!untilFlushed) res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
