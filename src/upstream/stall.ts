// Stall detection for upstream bodies. The idle timeout only notices a body
// that sends nothing; a mirror that drips a byte every few seconds passes it
// and would hold a pull forever. The watchdog counts the bytes that arrive
// while the reader waits for the upstream, and a window of waiting that
// brought fewer than `minBytesPerS` is a stall: the body is destroyed with a
// timeout failure, which the blob path treats like a broken stream (resume
// with Range on the next endpoint) and health counts against the endpoint.
// Time spent waiting for our own client (backpressure) is not counted: a
// slow reader is the send timeout's business, never the upstream's fault.
import type { Readable } from 'node:stream';
import { UpstreamFailure } from './failure.js';

export interface StallLimits {
  readonly minBytesPerS: number;
  readonly windowMs: number;
}

/** A monotonic clock and one-shot timers, injected so tests drive time. */
export interface Timers {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Calls `fn` once the loop has polled for I/O (setImmediate); returns a cancel function. */
  afterPoll(fn: () => void): () => void;
}

export function realTimers(clock: { now(): number }): Timers {
  return {
    now: () => clock.now(),
    after: (ms, fn) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return () => clearTimeout(t);
    },
    afterPoll: (fn) => {
      const i = setImmediate(fn);
      return () => clearImmediate(i);
    },
  };
}

export class StallWatch {
  constructor(
    private readonly limits: StallLimits,
    private readonly timers: Timers,
  ) {}

  /** The body's chunks, failing with a `timeout` UpstreamFailure when it stalls. */
  watch(body: Readable): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => this.iterate(body) };
  }

  private stalled(): UpstreamFailure {
    return new UpstreamFailure('timeout', `stalled: fewer than ${this.limits.minBytesPerS} bytes/s over ${this.limits.windowMs} ms`);
  }

  /**
   * One timer per window, not one per chunk: the time spent waiting is summed
   * from the clock around each read, and the timer, when it fires (and the
   * loop has then polled for I/O), judges a window that is over or re-arms
   * for what is left of it. While we wait for
   * our own reader it lapses, and the next read arms it again.
   */
  private async *iterate(body: Readable): AsyncGenerator<Buffer> {
    const { minBytesPerS, windowMs } = this.limits;
    const { timers } = this;
    const needed = (minBytesPerS * windowMs) / 1000;
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // One window = `windowMs` of waiting for the upstream; it must bring `needed` bytes.
    let waited = 0;
    let bytes = 0;
    /** When the read under way started; undefined while our reader has the chunk. */
    let since: number | undefined;
    let cancel: (() => void) | undefined;
    const inWindow = (now: number): number => waited + (since === undefined ? 0 : now - since);
    const closeWindow = (now: number): boolean => {
      const ok = bytes >= needed;
      waited = 0;
      bytes = 0;
      if (since !== undefined) since = now;
      return ok;
    };
    const arm = (now: number): void => {
      cancel = timers.after(windowMs - inWindow(now), onTimer);
    };
    // Timers run before the poll phase: after a long block of the loop (a GC
    // pause, a synchronous task) the bytes that arrived meanwhile wait unread
    // in the socket when the timer fires. Judge after the poll has delivered them.
    const onTimer = (): void => {
      cancel = timers.afterPoll(judge);
    };
    const judge = (): void => {
      cancel = undefined;
      if (since === undefined) return;
      const now = timers.now();
      if (inWindow(now) >= windowMs && !closeWindow(now)) return void body.destroy(this.stalled());
      arm(now);
    };
    try {
      while (true) {
        since = timers.now();
        if (!cancel) arm(since);
        const next = await chunks.next();
        if (next.done) return;
        const now = timers.now();
        waited += now - (since ?? now);
        since = undefined;
        bytes += next.value.length;
        // A window already over is judged by its timer, due now, once the poll has delivered every byte
        // that came meanwhile: judged here, on the first chunk after a long block, it would miss the rest.
        yield next.value;
      }
    } finally {
      cancel?.();
      // Leaving early (a break, a failure) lets go of the body, as a for-await over it would.
      await chunks.return?.();
    }
  }
}
