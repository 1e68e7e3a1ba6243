// Reading an upstream body chunk by chunk in flowing mode: 'data' events,
// with pause()/resume() for backpressure. Reading in paused mode (for await)
// costs a promise per chunk, and whenever several chunks are buffered
// Readable.read() concatenates them into a new Buffer, a copy of every byte
// (node lib/internal/streams/readable.js: howMuchToRead returns the whole
// buffered length unless flowing, then fromList concatenates). Here each
// chunk undici pushed is handed on as is, also those that piled up during a
// wait (in order, once it is over: never concatenated, a copy of every byte
// held), and a promise exists only when the consumer must be waited for. The upstream decides how its body is
// cut: chunks below SMALL_CHUNK (one byte per HTTP chunk is one Buffer per
// byte for whatever holds them downstream) are copied together and handed as
// one once the parser delivered all it read (a microtask later).
import { finished, type Readable } from 'node:stream';
import { HeldChunks, SMALL_CHUNK } from './held-chunks.js';
import type { StallWatch } from './stall.js';

/**
 * While the consumer makes the body wait (a file write, a full socket), the
 * chunks that arrive are held, up to this many bytes, then the body pauses.
 * They are handed on one by one once the wait is over, not concatenated: a
 * fill waiting for its disk held 70 % of a blob's bytes this way, and the
 * copy (into a fresh 1 MiB Buffer each time) cost more than the file write
 * it waited for; the file side batches its writes itself (batch-writer.ts).
 */
const BATCH_BYTES = 1024 * 1024;

/** Returned by a consumer (or by its wait) to stop reading: the body is left to the caller to discard. */
export const STOP = 'stop';

/** Nothing to wait for, a wait (the body pauses until it settles; it may resolve to STOP), or STOP. */
export type Taken = Promise<void | typeof STOP> | typeof STOP | undefined;

/** Filled in by `consume` once it settles: how long the read waited for the upstream (not for `take`). */
export interface BodyWait {
  upstreamMs: number;
}

/**
 * Feeds `body`'s chunks to `take`, watched for stalls. Resolves when the body
 * ended or `take` said STOP; rejects with the body's failure or `take`'s (a
 * failed wait wins over a break that happened while waiting, as it did with
 * the await that preceded each read). Never settles while a wait is
 * outstanding, so a next copy cannot overtake this one's last write.
 */
export function consume(body: Readable, stall: StallWatch, take: (chunk: Buffer) => Taken, wait?: BodyWait): Promise<void> {
  return new Promise((resolve, reject) => {
    const tracker = stall.track(body);
    let waiting = false;
    let settled = false;
    /** The consumer said STOP: nothing more is handed to it. */
    let stopped = false;
    let outcome: { error?: unknown } | undefined;
    /** Chunks that arrived during a wait, and small ones of this turn (copied together into slabs). */
    const batch = new HeldChunks();
    let flushQueued = false;
    const settle = (error?: unknown): void => {
      outcome ??= { error };
      if (waiting || settled) return;
      // A clean end delivers the small chunks of its last turn first.
      if (!stopped && outcome.error === undefined && batch.bytes > 0) {
        handHeld();
        if (waiting || settled) return;
      }
      settled = true;
      tracker.stop();
      if (wait) wait.upstreamMs = tracker.upstreamMs();
      body.off('data', onData);
      body.pause();
      if (outcome.error === undefined) resolve();
      else reject(outcome.error);
    };
    const hand = (chunk: Buffer): void => {
      let wait: Taken;
      try {
        wait = take(chunk);
      } catch (err) {
        // Also over a clean end already seen: the batch handed after it failed.
        outcome = { error: err };
        return settle();
      }
      if (wait === STOP) {
        stopped = true;
        return settle();
      }
      if (!wait) return;
      waiting = true;
      tracker.paused();
      wait.then(waited, failed);
    };
    /** Hands the held chunks in order until one starts a wait (or ends the read): the rest stay held until it is over. */
    const handHeld = (): void => {
      for (let chunk = batch.shift(); chunk; chunk = waiting || settled ? undefined : batch.shift()) hand(chunk);
    };
    const waited = (next: void | typeof STOP): void => {
      waiting = false;
      // A clean end during the wait still delivers what arrived before it; a break drops it (the resume re-fetches it).
      if (next !== STOP && batch.bytes > 0 && outcome?.error === undefined) {
        tracker.resumed();
        handHeld();
        if (waiting || settled) return;
      }
      stopped ||= next === STOP;
      if (outcome || stopped) return settle();
      tracker.resumed();
      body.resume();
    };
    const failed = (err: unknown): void => {
      waiting = false;
      outcome = { error: err };
      settle();
    };
    /** Hands the small chunks of this turn as one, once the parser delivered all it read. */
    const flush = (): void => {
      flushQueued = false;
      if (!waiting && !outcome && batch.bytes > 0) handHeld();
    };
    const onData = (chunk: Buffer): void => {
      if (outcome) return;
      tracker.arrived(chunk.length);
      if (!waiting && chunk.length >= SMALL_CHUNK) {
        // In order: the small ones before it first (which may start a wait).
        if (batch.bytes > 0) handHeld();
        if (!waiting && !outcome) return hand(chunk);
        if (outcome) return;
      }
      batch.push(chunk);
      if (waiting) {
        if (batch.bytes >= BATCH_BYTES) body.pause();
      } else if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    };
    // Its listeners stay: a body let go alive (STOP, a throw) may still fail before its owner discards it.
    finished(body, (err) => settle(err ?? undefined));
    body.on('data', onData);
    // Also a body paused before (a 'data' listener alone resumes only one never paused).
    body.resume();
  });
}

/** One wait for two that may each be absent: `first`, then `second` (as two awaits in a row would). */
export function inTurn(first: Promise<void> | undefined, second: Promise<void> | undefined): Promise<void> | undefined {
  return first && second ? first.then(() => second) : (first ?? second);
}
