// Hedge losers as health probes. A loser cut because its twin answered first
// says nothing about its endpoint (it was only slower, or looked late because
// our own event loop lagged); but if every loser is cut, a hung first mirror
// is judged only by the requests that are never hedged, and a client that
// pulls only manifests or HEADs pays the hedge delay on each of them forever.
// So, per endpoint, one loser at a time is left to finish in the background,
// detached from its request, and its outcome is recorded like any attempt's:
// a hung mirror's circuit opens after its probes time out, a slow-but-healthy
// one records real successes. At most one extra request per endpoint is in
// flight; every other loser is cut as before.
//
// Every probe ends: by the upstream client's own deadlines (connect, first
// byte, idle body), and, for a body that drips just fast enough to keep the
// idle timer quiet, by `deadlineMs` (the pull deadline: a probe is a pull
// attempt and gets no longer than one); at shutdown all are aborted. An abort
// says nothing about the endpoint.
import type { Timers } from '../upstream/stall.js';
import { UpstreamFailure } from '../upstream/failure.js';

interface Probe {
  readonly controller: AbortController;
  /** When its attempt started (monotonic ms). */
  readonly started: number;
  readonly done: Promise<void>;
}

export class HedgeProbes {
  private readonly running = new Map<string, Probe>();

  constructor(
    private readonly timers: Timers,
    private readonly deadlineMs: number,
  ) {}

  /**
   * Takes over a loser's attempt on `domain` as its probe, unless one is
   * already running there (then false: the caller cuts it). `finish` waits for
   * the attempt and records its outcome; the probe is forgotten when it settles.
   */
  adopt(domain: string, controller: AbortController, started: number, finish: () => Promise<void>): boolean {
    if (this.running.has(domain)) return false;
    const cancel = this.timers.after(this.deadlineMs, () => controller.abort(new UpstreamFailure('aborted', 'hedge probe passed the pull deadline')));
    const done = finish().finally(() => {
      cancel();
      this.running.delete(domain);
    });
    this.running.set(domain, { controller, started, done });
    return true;
  }

  /** How many probes are running (one per endpoint at most). */
  get size(): number {
    return this.running.size;
  }

  /** Is a probe of `domain` running? */
  has(domain: string): boolean {
    return this.running.has(domain);
  }

  /** When the attempt of `domain`'s running probe started, if one runs. */
  startedAt(domain: string): number | undefined {
    return this.running.get(domain)?.started;
  }

  /** Settles when every probe running now has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((p) => p.done));
  }

  /** Shutdown: aborts every probe and waits for them to end. */
  async close(): Promise<void> {
    for (const p of this.running.values()) p.controller.abort(new UpstreamFailure('aborted', 'shutting down'));
    await this.idle();
  }
}
