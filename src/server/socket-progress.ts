// How far a client has taken what was written to its socket: what the send
// timeout judges (send-timeout.ts). A write's callback says only that the
// whole write reached the kernel; a client that takes 64 KiB/s needs a minute
// for 4 MiB. Partial progress of a write shows in the size of the libuv write
// queue of the TCP handle, which shrinks as the kernel takes bytes: Node's own
// socket timeout reads it the same way (lib/net.js, Socket.prototype._onTimeout,
// "an active write in progress"). It is not public API, so where it is absent
// only whole writes count, and writes stay small enough to be taken whole.
import type { Socket } from 'node:net';

/** A look at a socket's progress, to compare with a later one. */
export interface Mark {
  /** Bytes of writes the socket completed (public: bytesWritten counts dispatched and buffered, writableLength the unfinished). */
  readonly done: number;
  /** Bytes the TCP handle still queues; undefined where it does not show. */
  readonly queued: number | undefined;
}

interface Handled {
  readonly _handle?: { readonly writeQueueSize?: unknown } | null;
  /** The TCP socket under a TLS one: its queue shrinks as the client takes bytes, the TLS handle's only per whole write. */
  readonly _parent?: Handled | null;
}

export function markOf(socket: Socket | null): Mark {
  if (!socket) return { done: 0, queued: undefined };
  return { done: (socket.bytesWritten ?? 0) - socket.writableLength, queued: queuedOf(socket as unknown as Handled) };
}

/**
 * Did the client take bytes between the two looks? A write completed, or the
 * one in flight shrank; one write is in flight at a time (the next leaves the
 * stream's buffer once it completed, which `done` shows), so an unchanged
 * pair means nothing was taken. A queue that grew is a write dispatched since
 * (the first one of a response leaves on the next tick, with its headers):
 * how much of it was taken is unknown, so it counts as taken, as Node's own
 * socket timeout counts any change of the queue.
 */
export function advanced(before: Mark, now: Mark): boolean {
  return now.done !== before.done || now.queued !== before.queued;
}

/** Does the socket show how much of one write the client took (else only whole writes count)? */
export function showsPartialWrites(socket: Socket | null): boolean {
  return socket !== null && queuedOf(socket as unknown as Handled) !== undefined;
}

function queuedOf(socket: Handled): number | undefined {
  const queued = (socket._parent ?? socket)._handle?.writeQueueSize;
  return typeof queued === 'number' ? queued : undefined;
}
