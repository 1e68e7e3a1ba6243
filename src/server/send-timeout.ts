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
  if (res.destroyed) return Promise.reject(new UpstreamFailure('aborted', 'client went away'));
  if (res.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
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
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
