// One upstream fetch for identical concurrent requests, for manifests and
// blobs alike. The shared work runs with its own abort signal, aborted only
// when every request waiting on it has gone. It records its attempts in the
// first request's record; the requests that joined get that record as
// `shared`, for their own log line (summary.sharedAttempts).
import type { AttemptRecord } from '../pull/attempts.js';

interface Flight<T> {
  readonly controller: AbortController;
  readonly records: readonly AttemptRecord[];
  waiting: number;
  readonly promise: Promise<T>;
}

export interface Joined<T> {
  readonly promise: Promise<T>;
  /** Another request started this work; this one shares it. */
  readonly joined: boolean;
  /** The attempts of the shared work (the same array as the starter's records). */
  readonly shared: readonly AttemptRecord[];
}

export class SingleFlight {
  private readonly inflight = new Map<string, Flight<unknown>>();

  constructor(private readonly enabled = true) {}

  run<T>(key: string, signal: AbortSignal, records: AttemptRecord[], work: (signal: AbortSignal) => Promise<T>): Joined<T> {
    if (!this.enabled) return { promise: work(signal), joined: false, shared: records };
    let flight = this.inflight.get(key) as Flight<T> | undefined;
    const joined = flight !== undefined;
    if (!flight) {
      const controller = new AbortController();
      const created: Flight<T> = { controller, records, waiting: 0, promise: work(controller.signal).finally(() => this.inflight.delete(key)) };
      this.inflight.set(key, created as Flight<unknown>);
      flight = created;
    }
    const mine = flight;
    mine.waiting++;
    const leave = () => {
      if (--mine.waiting === 0) mine.controller.abort();
    };
    signal.addEventListener('abort', leave, { once: true });
    return { promise: mine.promise.finally(() => signal.removeEventListener('abort', leave)), joined, shared: mine.records };
  }
}
