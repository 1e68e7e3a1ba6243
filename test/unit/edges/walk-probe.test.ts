// The walk's hedge loser kept as its endpoint's probe (src/pull/probes.ts),
// over attempts the test settles itself: detached from the request, bounded
// by its deadline, its outcome recorded, an abort recording nothing.
import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../../src/pull/attempts.js';
import type { Candidate, PullContext } from '../../../src/pull/context.js';
import { BusyEndpoints } from '../../../src/pull/endpoint-state.js';
import { EndpointHealth } from '../../../src/pull/health.js';
import { HedgeProbes } from '../../../src/pull/probes.js';
import { walk } from '../../../src/pull/walk.js';
import type { Timers } from '../../../src/upstream/stall.js';

const candidate = (domain: string): Candidate => ({ target: { domain, repository: 'ns/app' } as Candidate['target'], role: 'mirror', reference: 'v1', label: `${domain}/ns/app:v1` });
const what = { notFound: 'MANIFEST_UNKNOWN', description: 'manifest v1' } as const;

function setup(probeDeadlineMs = 1_000) {
  let now = 0;
  const clock = { now: () => now };
  const due: { at: number; fn: () => void }[] = [];
  const timers: Timers = {
    now: clock.now,
    after: (ms, fn) => {
      const t = { at: now + ms, fn };
      due.push(t);
      return () => void due.splice(due.indexOf(t), 1);
    },
    afterPoll: (fn) => (queueMicrotask(fn), () => {}),
  };
  const health = new EndpointHealth({ failureThreshold: 1, coolDownMs: 60_000 }, clock);
  const probes = new HedgeProbes(timers, probeDeadlineMs);
  // Hedge at once: m1 never answers by itself, m2 answers at once.
  const ctx = { health, probes, clock, timers, busy: new BusyEndpoints(clock), hedge: { mode: 'fixed', delayMs: 0, minDelayMs: 0 } } as unknown as PullContext;
  const m1 = { signal: undefined as AbortSignal | undefined, answer: (_: string) => {}, tries: 0 };
  const m2 = { refuse: false };
  const attempt = (c: Candidate, signal: AbortSignal) =>
    c.target.domain === 'm2'
      ? m2.refuse
        ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
        : Promise.resolve('from m2')
      : new Promise<string>((resolve, reject) => {
          m1.tries++;
          m1.signal = signal;
          m1.answer = resolve;
          signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
        });
  const run = async (request = new AbortController()) => {
    const records: AttemptRecord[] = [];
    const result = await walk(ctx, [candidate('m1'), candidate('m2')], records, what, attempt, request.signal, { hedge: true });
    return { result, records, request };
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of due.filter((d) => d.at <= now)) (due.splice(due.indexOf(t), 1), t.fn());
  };
  return { ctx, health, probes, m1, m2, run, advance };
}

describe('a hedge loser as its endpoint probe', () => {
  it('outlives its request: the request aborting after the walk does not abort it, and its success counts', async () => {
    const { health, probes, m1, run, advance } = setup();
    const { result, records, request } = await run();
    expect(result.value).toBe('from m2');
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'aborted']);
    request.abort();
    expect(m1.signal?.aborted).toBe(false);
    expect(probes.has('m1')).toBe(true);
    advance(700);
    m1.answer('from m1');
    await probes.idle();
    expect(health.latency('m1')).toBe(700);
    expect(probes.size).toBe(0);
  });

  it('ends at its deadline, and that abort says nothing about the endpoint', async () => {
    const { health, probes, m1, run, advance } = setup();
    await run();
    advance(999);
    expect(m1.signal?.aborted).toBe(false);
    advance(1);
    expect(m1.signal?.aborted).toBe(true);
    await probes.idle();
    expect(probes.size).toBe(0);
    expect(health.state('m1')).toBe('closed');
    // Not even a last outcome: the endpoint is not in the table at all.
    expect(health.snapshot().find((e) => e.endpoint === 'm1')).toBeUndefined();
  });

  it('one probe per endpoint: the next loser is cut at once', async () => {
    const { probes, m1, run } = setup();
    await run();
    const first = m1.signal;
    await run();
    expect(m1.signal).not.toBe(first);
    expect(m1.signal?.aborted).toBe(true);
    expect(first?.aborted).toBe(false);
    expect(probes.size).toBe(1);
  });

  it('an endpoint whose probe outlived the hedge delay is tried after the others, so no request waits for it again', { timeout: 5_000 }, async () => {
    const { ctx, probes, run, advance } = setup(120_000);
    await run();
    expect(probes.has('m1')).toBe(true);
    // From now on a delay no test could wait out: the second request can only end if m2 goes first.
    (ctx.hedge as { delayMs: number }).delayMs = 60_000;
    advance(60_001);
    const { result, records } = await run();
    expect(result.value).toBe('from m2');
    expect(records.map((r) => r.endpoint)).toEqual([candidate('m2').label]);
    expect(probes.size).toBe(1);
  });

  it('a silent endpoint is still tried in the same walk when the others fail', { timeout: 5_000 }, async () => {
    const { ctx, m1, m2, run, advance } = setup(120_000);
    await run();
    (ctx.hedge as { delayMs: number }).delayMs = 60_000;
    advance(60_001);
    // m2 now refuses: the walk goes on to m1, silent as it is, and m1 answers.
    m2.refuse = true;
    const pending = run();
    for (let i = 0; i < 100 && m1.tries < 2; i++) await new Promise((r) => setImmediate(r));
    expect(m1.tries).toBe(2);
    m1.answer('from m1');
    const { result, records } = await pending;
    expect(result.value).toBe('from m1');
    expect(records.map((r) => r.outcome)).toEqual(['refused', 'ok']);
  });
});
