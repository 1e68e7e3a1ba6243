// A pipelined response queued behind others on its connection has no socket
// yet, and Node never closes it when that connection dies (it destroys only
// its request), so work waiting to answer it would wait for its pull deadline.
// It ends with its connection instead. The responses queued on one connection
// share one 'close' listener: a client may pipeline hundreds of requests, and
// a listener each would trip Node's leak warning.
import type { Socket } from 'node:net';

const waiting = new WeakMap<Socket, Set<() => void>>();

/** Calls `onClose` once `connection` closes (at once if it is destroyed); returns what stops the wait. */
export function whenClosed(connection: Socket, onClose: () => void): () => void {
  if (connection.destroyed) {
    onClose();
    return () => {};
  }
  let callbacks = waiting.get(connection);
  if (!callbacks) {
    const fresh = new Set<() => void>();
    waiting.set(connection, fresh);
    connection.once('close', () => {
      waiting.delete(connection);
      for (const callback of fresh) callback();
    });
    callbacks = fresh;
  }
  const mine = callbacks;
  mine.add(onClose);
  return () => void mine.delete(onClose);
}
