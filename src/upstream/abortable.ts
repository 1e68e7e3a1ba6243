/**
 * `work`'s outcome, or a rejection with `signal`'s reason as soon as it
 * aborts: a caller waiting on work it shares with others (a token fetch
 * another request started) stops waiting on its own signal, while the work
 * goes on for them.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
