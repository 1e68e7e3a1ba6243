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

/** What a body's reader tells the watchdog; every call is O(1), with no allocation per chunk. */
export interface StallTracker {
  /** Bytes arrived from the upstream. */
  arrived(bytes: number): void;
  /** The reader waits for its own side (backpressure): the time until `resumed` is not the upstream's. */
  paused(): void;
  resumed(): void;
  /** The body ended (or was let go): no more judgement. */
  stop(): void;
  /** All the time so far spent waiting for the upstream (reading, not paused for our own side), in ms. */
  upstreamMs(): number;
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

  private stalled(): UpstreamFailure {
    return new UpstreamFailure('timeout', `stalled: fewer than ${this.limits.minBytesPerS} bytes/s over ${this.limits.windowMs} ms`);
  }

  /**
   * Starts watching `body`, which is being read from now on: a stall
   * destroys it with a `timeout` UpstreamFailure. The reader reports the
   * bytes that arrive and brackets its own waits with `paused`/`resumed`.
   *
   * One timer per window, not one per chunk, and no clock read per chunk:
   * the time spent waiting is summed from the clock at each pause and
   * resume, and the timer, when it fires (and the loop has then polled for
   * I/O), judges a window that is over or re-arms for what is left of it.
   * While we wait for our own reader it lapses, and `resumed` arms it again.
   */
  track(body: Readable): StallTracker {
    const { minBytesPerS, windowMs } = this.limits;
    const { timers } = this;
    const needed = (minBytesPerS * windowMs) / 1000;
    // One window = `windowMs` of waiting for the upstream; it must bring `needed` bytes.
    let waited = 0;
    let bytes = 0;
    /** Waiting for the upstream in the windows already closed (the open one is `inWindow`). */
    let closedMs = 0;
    /** When reading (re)started; undefined while paused for our own side. */
    let since: number | undefined;
    let cancel: (() => void) | undefined;
    let stopped = false;
    const inWindow = (now: number): number => waited + (since === undefined ? 0 : now - since);
    const closeWindow = (now: number): boolean => {
      const ok = bytes >= needed;
      closedMs += inWindow(now);
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
      if (since === undefined || stopped) return;
      const now = timers.now();
      if (inWindow(now) >= windowMs && !closeWindow(now)) return void body.destroy(this.stalled());
      arm(now);
    };
    const resumed = (): void => {
      if (stopped || since !== undefined) return;
      since = timers.now();
      if (!cancel) arm(since);
    };
    resumed();
    return {
      arrived: (n) => void (bytes += n),
      paused: () => {
        if (since === undefined) return;
        waited += timers.now() - since;
        since = undefined;
      },
      resumed,
      stop: () => {
        if (stopped) return;
        // The total stays what it was at the end.
        closedMs += inWindow(timers.now());
        waited = 0;
        since = undefined;
        stopped = true;
        cancel?.();
        cancel = undefined;
      },
      upstreamMs: () => closedMs + inWindow(timers.now()),
    };
  }
}
