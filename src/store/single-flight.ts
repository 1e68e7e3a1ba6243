// One upstream fetch for identical concurrent requests, for manifests and
// blobs alike. The shared work runs with its own abort signal, aborted only
// when every request waiting on it has gone; each request keeps its own
// record: the shared attempts are copied into every participant's records
// (marked `shared` for those that joined).
import type { AttemptRecord } from '../pull/attempts.js';

interface Flight<T> {
  readonly controller: AbortController;
  readonly records: AttemptRecord[];
  waiting: number;
  readonly promise: Promise<T>;
}

export interface Joined<T> {
  readonly promise: Promise<T>;
  /** Another request started this work; this one shares it. */
  readonly joined: boolean;
}

export class SingleFlight {
  private readonly inflight = new Map<string, Flight<unknown>>();

  constructor(private readonly enabled = true) {}

  run<T>(key: string, signal: AbortSignal, records: AttemptRecord[], work: (signal: AbortSignal, records: AttemptRecord[]) => Promise<T>): Joined<T> {
    if (!this.enabled) return { promise: work(signal, records), joined: false };
    let flight = this.inflight.get(key) as Flight<T> | undefined;
    const joined = flight !== undefined;
    if (!flight) {
      const controller = new AbortController();
      const shared: AttemptRecord[] = [];
      const created: Flight<T> = { controller, records: shared, waiting: 0, promise: work(controller.signal, shared).finally(() => this.inflight.delete(key)) };
      this.inflight.set(key, created as Flight<unknown>);
      flight = created;
    }
    const mine = flight;
    mine.waiting++;
    const leave = () => {
      if (--mine.waiting === 0) mine.controller.abort();
    };
    signal.addEventListener('abort', leave, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', leave);
      // The leader's record is the shared one; followers' copies are marked, so attempts are counted once.
      records.push(...(joined ? mine.records.map((r) => ({ ...r, shared: true as const })) : mine.records));
    };
    return { promise: mine.promise.finally(settle), joined };
  }
}
