// The send timeout: a client that stops reading must not hold the upstream
// request (and its pooled connection) it is fed from, nor the buffers a cached
// blob is sent through. A write that cannot be taken at once is watched: while
// the client takes bytes of it (socket-progress.ts) it may take as long as it
// needs, so a slow but alive client is never cut however large the write; once
// it took none for `ms`, the client connection is destroyed, which aborts the
// request's upstream work (server/app.ts) and frees what the response holds.
import type { ServerResponse } from 'node:http';
import type { Timers } from '../upstream/stall.js';
import { UpstreamFailure } from '../upstream/failure.js';
import { advanced, markOf, showsPartialWrites } from './socket-progress.js';
import { whenClosed } from './connection-close.js';

/** Responses whose client was cut here, so the access line and metrics tell them from clients that left. */
const cut = new WeakSet<ServerResponse>();

/** Whether `res` was broken because its client took no bytes for the send timeout. */
export const cutForSendTimeout = (res: ServerResponse): boolean => cut.has(res);

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
 * them as writeWithin does. The caller keeps the run within `largestWrite`.
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

/**
 * The most one write to `res` may carry: any size where the client's taking
 * part of a write shows; else 1 MiB, which a client taking 17 KiB/s takes
 * whole within the default minute.
 */
export function largestWrite(res: ServerResponse): number | undefined {
  return showsPartialWrites(res.socket) ? undefined : WHOLE_WRITE_BYTES;
}

const WHOLE_WRITE_BYTES = 1024 * 1024;

const gone = () => new UpstreamFailure('aborted', 'client went away');

/**
 * The connection whose progress judges `res`: a pipelined response queued
 * behind another has no res.socket until it owns the connection, and while it
 * waits the client taking the answer before it is progress too (red-team
 * finding: judged on null, an alive pipelining client lost its second answer).
 */
const connectionOf = (res: ServerResponse) => res.socket ?? res.req?.socket ?? null;

/** Looks per send timeout: a client is cut between `ms` and 1.25 × `ms` after the last byte it took. */
const LOOKS = 4;

/** Waits for what `arm` listens to while the client takes bytes; once it took none for `limit.ms`, the client connection is destroyed. */
function within(res: ServerResponse, limit: SendTimeout, arm: (settle: (error?: UpstreamFailure) => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const { ms, timers } = limit;
    let done = false;
    let mark = markOf(connectionOf(res));
    // When the client was last seen taking bytes (or the wait began): a look's time, never earlier than the bytes.
    let taking = timers.now();
    let cancel: () => void;
    let unwatch: (() => void) | undefined;
    const settle = (error?: UpstreamFailure) => {
      if (done) return;
      done = true;
      cancel();
      disarm();
      res.off('close', onClose);
      unwatch?.();
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => settle(gone());
    const wait = (untilMs: number) => (cancel = timers.after(Math.min(untilMs, Math.ceil(ms / LOOKS)), look));
    // Timers run before the poll phase: after a long block of the loop the socket has not written what the
    // client made room for. Judge after the poll, as the stall watch does (upstream/stall.ts).
    const look = () => (cancel = timers.afterPoll(judge));
    const judge = () => {
      const now = timers.now();
      const seen = markOf(connectionOf(res));
      if (advanced(mark, seen)) taking = now;
      mark = seen;
      if (now - taking < ms) return void wait(ms - (now - taking));
      cut.add(res);
      settle(new UpstreamFailure('aborted', `client accepted no bytes for ${ms} ms (server.send_timeout_ms)`));
      res.destroy();
    };
    wait(ms);
    const disarm = arm(settle);
    res.once('close', onClose);
    // A queued pipelined response is never closed when its connection dies (connection-close.ts).
    const connection = res.socket ? null : connectionOf(res);
    if (connection) unwatch = whenClosed(connection, onClose);
  });
}
