import { afterEach, describe, expect, it, vi } from 'vitest';
import { ByteGate, jsonDepth } from '../../../src/pull/bounded-json.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ByteGate', () => {
  it('grants in arrival order while the bytes fit, and never holds more than its capacity', async () => {
    const gate = new ByteGate(10, 60_000);
    const signal = new AbortController().signal;
    const a = await gate.acquire(6, signal);
    const granted: string[] = [];
    const b = gate.acquire(6, signal).then((release) => (granted.push('b'), release));
    // Fits now, but waits behind b: no overtaking, so a large reservation cannot starve.
    const c = gate.acquire(3, signal).then((release) => (granted.push('c'), release));
    await Promise.resolve();
    expect(granted).toEqual([]);
    a();
    (await b)();
    (await c)();
    expect(granted).toEqual(['b', 'c']);
    expect(gate.peak).toBeLessThanOrEqual(10);
    expect(gate.inUse).toBe(0);
  });

  it('caps a reservation larger than the whole gate at its capacity', async () => {
    const gate = new ByteGate(10, 60_000);
    const release = await gate.acquire(50, new AbortController().signal);
    expect(gate.inUse).toBe(10);
    release();
    release();
    expect(gate.inUse).toBe(0);
  });

  it('lets an aborted or timed-out waiter go without taking room', async () => {
    vi.useFakeTimers();
    const gate = new ByteGate(10, 1000);
    const held = await gate.acquire(10, new AbortController().signal);
    const abort = new AbortController();
    const aborted = gate.acquire(5, abort.signal);
    const timedOut = gate.acquire(5, new AbortController().signal);
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ kind: 'aborted' });
    vi.advanceTimersByTime(1000);
    await expect(timedOut).rejects.toMatchObject({ kind: 'busy' });
    held();
    expect(gate.inUse).toBe(0);
    expect((await gate.acquire(10, new AbortController().signal), gate.inUse)).toBe(10);
  });
});

describe('jsonDepth', () => {
  it.each([
    ['{}', 1],
    ['[[{"a": [1]}]]', 4],
    ['"[[[[["', 0],
    ['["\\"[[", [[]]]', 3],
    ['['.repeat(1000), 65],
  ])('%s is %i deep (stopping past 64)', (text, depth) => {
    expect(jsonDepth(Buffer.from(text), 64)).toBe(depth);
  });
});
