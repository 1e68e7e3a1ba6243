// One upstream fetch for identical concurrent requests: manifests, blobs and
// registry tokens. The shared work runs with its own abort signal, aborted
// only when every request waiting on it has gone, so a request that leaves
// never breaks the work for those that stay. Each request still ends on its
// own signal (its client left, its pull deadline passed): its promise rejects
// then, whoever else still waits on the shared work. The work records its
// attempts in the first request's `records`; the requests that joined get
// them as `shared`, for their own log line (summary.sharedAttempts).
import { OciError } from '../core/oci/errors.js';
import { UpstreamFailure } from './failure.js';

interface Flight<T, R> {
  readonly controller: AbortController;
  readonly records: R;
  waiting: number;
  readonly promise: Promise<T>;
}

export interface Joined<T, R> {
  /** The shared work's result for this request; rejects as soon as this request's own signal aborts. */
  readonly promise: Promise<T>;
  /** Settles when the shared work itself ended (never rejects). */
  readonly done: Promise<void>;
  /** Another request started this work; this one shares it. */
  readonly joined: boolean;
  /** The shared work's records (the starter's). */
  readonly shared: R;
}

const settled = (promise: Promise<unknown>): Promise<void> => promise.then(() => undefined, () => undefined);

export class SingleFlight {
  private readonly inflight = new Map<string, Flight<unknown, unknown>>();

  constructor(private readonly enabled = true) {}

  run<T, R>(key: string, signal: AbortSignal, records: R, work: (signal: AbortSignal) => Promise<T>): Joined<T, R> {
    if (!this.enabled) {
      const promise = work(signal);
      return { promise, done: settled(promise), joined: false, shared: records };
    }
    let flight = this.inflight.get(key) as Flight<T, R> | undefined;
    const joined = flight !== undefined;
    if (!flight) {
      const controller = new AbortController();
      const created: Flight<T, R> = { controller, records, waiting: 0, promise: work(controller.signal).finally(() => this.inflight.delete(key)) };
      this.inflight.set(key, created as Flight<unknown, unknown>);
      flight = created;
    }
    const mine = flight;
    mine.waiting++;
    const promise = new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        left = true;
        if (--mine.waiting > 0) return reject(abortedBy(signal));
        // The last one out stops the shared work, with its reason (a deadline's GATEWAY_TIMEOUT reaches the walk's
        // log), and rejects once the work recorded how its attempts ended, so its log line names what it waited on.
        // The work's waits all end on its signal: this wait is as short as theirs.
        mine.controller.abort(signal.reason);
        void settled(mine.promise).then(() => reject(abortedBy(signal)));
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      mine.promise.then((value) => left || resolve(value), reject).finally(() => signal.removeEventListener('abort', leave));
    });
    return { promise, done: settled(mine.promise), joined, shared: mine.records };
  }
}

/** Why a request stopped waiting: its deadline's OciError (504), or its client went away. */
function abortedBy(signal: AbortSignal): Error {
  return signal.reason instanceof OciError ? signal.reason : new UpstreamFailure('aborted', 'client went away');
}
