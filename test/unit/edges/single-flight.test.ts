// One shared fetch for identical concurrent requests (upstream/single-flight.ts):
// who waits for what when requests leave, and what the last one's log sees.
import { describe, expect, it } from 'vitest';
import { OciError } from '../../../src/core/oci/errors.js';
import type { AttemptRecord } from '../../../src/pull/attempts.js';
import { SingleFlight } from '../../../src/upstream/single-flight.js';

const record = (outcome: AttemptRecord['outcome']): AttemptRecord => ({ endpoint: 'e', host: 'h', role: 'mirror', outcome, ms: 0 });

/** Work that ends only when told, or when its signal aborts (then it records a `deadline` attempt and fails, as the walk does). */
function controllable(records: AttemptRecord[]) {
  let finish: (value: string) => void = () => {};
  const work = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      finish = resolve;
      signal.addEventListener('abort', () => {
        // The walk learns of the abort a turn later, from its upstream request's rejection.
        setImmediate(() => {
          records.push(record('deadline'));
          reject(signal.reason);
        });
      });
    });
  return { work, finish: (value: string) => finish(value) };
}

describe('SingleFlight', () => {
  it('requests for one key share one work and its result', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    const work = async () => (runs++, 'v');
    const a = flights.run('k', new AbortController().signal, [], work);
    const b = flights.run('k', new AbortController().signal, [], work);
    expect([a.joined, b.joined]).toEqual([false, true]);
    expect(await Promise.all([a.promise, b.promise])).toEqual(['v', 'v']);
    expect(runs).toBe(1);
  });

  it('a request that leaves while others wait rejects at once; the work goes on for them', async () => {
    const flights = new SingleFlight();
    const records: AttemptRecord[] = [];
    const { work, finish } = controllable(records);
    const leaving = new AbortController();
    const a = flights.run('k', leaving.signal, records, work);
    const b = flights.run('k', new AbortController().signal, [], work);
    leaving.abort();
    await expect(a.promise).rejects.toMatchObject({ kind: 'aborted' });
    finish('v');
    expect(await b.promise).toBe('v');
    expect(records).toEqual([]);
  });

  it('the last one out stops the work with its reason and rejects once the work recorded how it ended', async () => {
    const flights = new SingleFlight();
    const records: AttemptRecord[] = [];
    const { work } = controllable(records);
    const deadline = new AbortController();
    const a = flights.run('k', deadline.signal, records, work);
    deadline.abort(new OciError('GATEWAY_TIMEOUT', 'the pull took longer than upstream.pull_deadline_ms'));
    await expect(a.promise).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    // Its log line is written right after: the work's attempts are in it.
    expect(records.map((r) => r.outcome)).toEqual(['deadline']);
  });

  it('work that ends well after the last request left does not answer that request', async () => {
    const flights = new SingleFlight();
    let finish: (value: string) => void = () => {};
    const work = () => new Promise<string>((resolve) => (finish = resolve));
    const leaving = new AbortController();
    const a = flights.run('k', leaving.signal, [], work);
    leaving.abort();
    finish('late');
    await expect(a.promise).rejects.toMatchObject({ kind: 'aborted' });
  });
});
