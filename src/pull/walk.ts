// Tries candidates in order until one serves, recording every attempt.
// Endpoints whose circuit is open are skipped (and recorded); when all are
// open, the plan is still tried in order. With hedging, an attempt that has
// not answered within the hedge delay gets company: the next candidate starts
// in parallel, the first valid answer wins and the others are aborted.
import { OciError, type OciErrorCode } from '../core/oci/errors.js';
import { UpstreamFailure, classifyError } from '../upstream/failure.js';
import { type AttemptRecord, attemptOf, finalError } from './attempts.js';
import type { Candidate, PullContext } from './context.js';

export interface WalkResult<T> {
  readonly value: T;
  readonly candidate: Candidate;
  /** How long the winning attempt took. */
  readonly ms: number;
}

export interface WalkOptions {
  readonly hedge?: boolean;
  /**
   * The caller reports the winner's health itself, once the body it opened
   * has been read: a stream that breaks after its headers is a failure, and
   * a success recorded at the headers would reset the endpoint's count.
   */
  readonly deferSuccess?: boolean;
}

export type Attempt<T> = (candidate: Candidate, signal: AbortSignal) => Promise<T>;

interface Running<T> {
  readonly candidate: Candidate;
  readonly controller: AbortController;
  readonly started: number;
  readonly hedged: boolean;
  /** Unhooks the attempt from the request's signal: a probe outlives its request. */
  readonly detach: () => void;
  readonly done: Promise<{ running: Running<T>; value?: T; error?: UpstreamFailure }>;
}

export async function walk<T>(
  ctx: PullContext,
  candidates: readonly Candidate[],
  records: AttemptRecord[],
  what: { readonly notFound: OciErrorCode; readonly description: string },
  attempt: Attempt<T>,
  signal: AbortSignal,
  options: WalkOptions = {},
): Promise<WalkResult<T>> {
  stopIfAborted(signal);
  const first = await walkPass(ctx, candidates, records, attempt, signal, options, true);
  if (first.result) return first.result;
  if (!first.launchedAny && first.circuitSkipped.length > 0) {
    // Every endpoint was skipped as open: try them anyway, in order, rather than fail without trying.
    const second = await walkPass(ctx, first.circuitSkipped, records, attempt, signal, options, false);
    if (second.result) return second.result;
  }
  throw finalError(records, what.notFound, what.description);
}

interface Pass<T> {
  readonly result?: WalkResult<T>;
  readonly launchedAny: boolean;
  readonly circuitSkipped: readonly Candidate[];
}

/** One pass over `candidates`: the result if one served, and what the caller needs to decide on a second pass. */
async function walkPass<T>(
  ctx: PullContext,
  candidates: readonly Candidate[],
  records: AttemptRecord[],
  attempt: Attempt<T>,
  signal: AbortSignal,
  options: WalkOptions,
  useBreaker: boolean,
): Promise<Pass<T>> {
  const hedge = options.hedge === true;
  const pending = hedge ? silentLast(ctx, candidates) : [...candidates];
  const running = new Set<Running<T>>();
  const circuitSkipped: Candidate[] = [];
  let launchedAny = false;

  const launch = (hedged: boolean): boolean => {
    for (let c = pending.shift(); c !== undefined; c = pending.shift()) {
      const domain = c.target.domain;
      const wait = ctx.busy.remaining(domain);
      if (wait > 0) {
        records.push(attemptOf(c, 'busy', 0, { retryAfterMs: wait }));
        continue;
      }
      if (useBreaker && !ctx.health.admit(domain)) {
        records.push(attemptOf(c, 'circuit_open', 0));
        circuitSkipped.push(c);
        continue;
      }
      running.add(start(ctx, c, attempt, signal, hedged));
      launchedAny = true;
      return true;
    }
    return false;
  };

  launch(false);
  while (running.size > 0) {
    const newest = [...running].at(-1) as Running<T>;
    const delay = hedge && pending.length > 0 ? hedgeDelay(ctx, newest.candidate) : undefined;
    const timer = delay === undefined ? undefined : sleep(Math.max(0, newest.started + delay - ctx.clock.now()));
    const settled = await Promise.race([...[...running].map((r) => r.done), ...(timer ? [timer.promise] : [])]);
    timer?.cancel();
    if (settled === 'hedge') {
      launch(true);
      continue;
    }
    running.delete(settled.running);
    const ms = ctx.clock.now() - settled.running.started;
    const { candidate, hedged } = settled.running;
    if (settled.error === undefined) {
      judge(ctx, settled.running, undefined, options.deferSuccess);
      records.push(attemptOf(candidate, 'ok', ms, hedged ? { hedged } : {}));
      for (const loser of running) {
        // Cut because another answered first, a loser says nothing about its endpoint's health (it was
        // only slower than its twin, or looked late because our own event loop lagged), and the time it
        // had run is no latency. But one per endpoint finishes in the background as its probe (probes.ts),
        // so a hung endpoint is still judged on hedged requests.
        const probing = ctx.probes.adopt(loser.candidate.target.domain, loser.controller, loser.started, () => {
          loser.detach();
          return loser.done.then((s) => judge(ctx, s.running, s.error));
        });
        if (!probing) loser.controller.abort();
        const message = probing ? 'lost the hedge race; finishing in the background as its endpoint\'s health probe' : 'lost the hedge race';
        records.push(attemptOf(loser.candidate, 'aborted', ctx.clock.now() - loser.started, { message, ...(loser.hedged ? { hedged: true } : {}) }));
      }
      return { result: { value: settled.value as T, candidate, ms }, launchedAny, circuitSkipped };
    }
    const failure = settled.error;
    if (signal.aborted) {
      // Cut by the pull's deadline: recorded, so the log names what the pull waited on, and not judged (the endpoint's share of the time is unknown).
      // Its hedged racers were cut by the same deadline, and waited on as much.
      if (failure.kind === 'deadline') {
        records.push(attemptOf(candidate, 'deadline', ms, { message: failure.message, ...(hedged ? { hedged } : {}) }));
        for (const r of running) records.push(attemptOf(r.candidate, 'deadline', ctx.clock.now() - r.started, { message: failure.message, ...(r.hedged ? { hedged: true } : {}) }));
      }
      stopIfAborted(signal, failure);
    }
    judge(ctx, settled.running, failure);
    records.push(
      attemptOf(candidate, failure.kind, ms, {
        message: failure.message,
        ...(failure.publicMessage !== undefined ? { publicMessage: failure.publicMessage } : {}),
        ...(hedged ? { hedged } : {}),
        ...(failure.status ? { status: failure.status } : {}),
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      }),
    );
    if (running.size === 0) launch(false);
  }
  return { launchedAny, circuitSkipped };
}

function start<T>(ctx: PullContext, candidate: Candidate, attempt: Attempt<T>, parent: AbortSignal, hedged: boolean): Running<T> {
  const controller = new AbortController();
  // Kept for the request's life: the winner's body streams on after the walk returns.
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  const detach = () => parent.removeEventListener('abort', onAbort);
  const running = { candidate, controller, started: ctx.clock.now(), hedged, detach } as Running<T>;
  (running as { done: Running<T>['done'] }).done = attempt(candidate, controller.signal).then(
    (value) => ({ running, value }),
    (err: unknown) => ({ running, error: classifyError(err) }),
  );
  return running;
}

/**
 * Records an attempt's outcome in its endpoint's health: success with its
 * latency (unless the caller defers it), or the failure; an abort says nothing.
 */
function judge<T>(ctx: PullContext, running: Running<T>, failure: UpstreamFailure | undefined, deferSuccess = false): void {
  const domain = running.candidate.target.domain;
  if (failure === undefined) {
    if (!deferSuccess) ctx.health.success(domain, ctx.clock.now() - running.started);
    return;
  }
  if (failure.kind === 'aborted') return;
  ctx.health.failure(domain, failure.kind);
  if (failure.kind === 'status_429') ctx.busy.mark(domain, failure.retryAfterMs);
}

/**
 * The request was aborted: the client left (an `aborted` failure), or its
 * deadline passed (the OciError the deadline aborted with, for the client).
 */
function stopIfAborted(signal: AbortSignal, failure = new UpstreamFailure('aborted', 'request aborted')): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof OciError ? signal.reason : failure.kind === 'aborted' ? failure : new UpstreamFailure('aborted', 'request aborted');
}

/** Fixed, or adaptive: three times the endpoint's average latency, never above the fixed delay. */
function hedgeDelay(ctx: PullContext, candidate: Candidate): number | undefined {
  const { mode, delayMs, minDelayMs } = ctx.hedge;
  if (mode === 'off') return undefined;
  if (mode === 'fixed') return delayMs;
  const latency = ctx.health.latency(candidate.target.domain);
  return latency === undefined ? delayMs : Math.min(delayMs, Math.max(minDelayMs, 3 * latency));
}

/**
 * The candidates in order, except that an endpoint whose probe has already
 * outlived its hedge delay goes after the others: it is silent right now, so
 * no client waits for the same silence twice. It is still tried in this walk
 * (as a hedge when the others are slow, or next when they fail), so a slow but
 * healthy endpoint still serves what only it has; its circuit opens only when
 * its probes fail, and a probe's answer ends the suspicion.
 */
function silentLast(ctx: PullContext, candidates: readonly Candidate[]): Candidate[] {
  const now = ctx.clock.now();
  const silent = (c: Candidate) => {
    const started = ctx.probes.startedAt(c.target.domain);
    const delay = hedgeDelay(ctx, c);
    return started !== undefined && delay !== undefined && now - started > delay;
  };
  const quiet = candidates.filter(silent);
  return quiet.length === 0 ? [...candidates] : [...candidates.filter((c) => !quiet.includes(c)), ...quiet];
}

function sleep(ms: number): { promise: Promise<'hedge'>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'hedge'>((resolve) => {
    timer = setTimeout(() => resolve('hedge'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
