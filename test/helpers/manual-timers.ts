// Timers whose clock a test moves (src/upstream/stall.ts Timers); the poll
// phase stays the real one, so I/O still happens between a timer and a
// judge it defers with afterPoll.
import type { Timers } from '../../src/upstream/stall.js';

export function manualTimers() {
  let now = 0;
  const pending = new Set<{ at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    after: (ms, fn) => {
      const t = { at: now + ms, fn };
      pending.add(t);
      return () => pending.delete(t);
    },
    afterPoll: (fn) => {
      const i = setImmediate(fn);
      return () => clearImmediate(i);
    },
  };
  /** Moves the clock forward, firing the timers that fall due, in order. */
  const advance = (ms: number) => {
    const until = now + ms;
    for (let guard = 0; guard < 1000; guard++) {
      const due = [...pending].filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      pending.delete(due);
      now = due.at;
      due.fn();
    }
    now = until;
  };
  return { timers, advance, pending, elapsed: () => now };
}
