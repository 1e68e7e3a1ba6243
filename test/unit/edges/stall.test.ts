// The stall watchdog with a driven clock: the test decides when time passes
// and which timers fire, so nothing here sleeps.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { consume } from '../../../src/upstream/body-flow.js';
import { StallWatch, type Timers } from '../../../src/upstream/stall.js';
import { manualTimers } from '../../helpers/manual-timers.js';

const tick = () => new Promise((r) => setImmediate(r));

/** Reads the watched body in the background; `result` settles with the bytes or the failure. */
function reader(watch: StallWatch, body: PassThrough) {
  let bytes = 0;
  const result = consume(body, watch, (chunk) => void (bytes += chunk.length)).then(() => bytes);
  result.catch(() => {});
  return { result, bytes: () => bytes };
}

describe('stall watchdog', () => {
  const limits = { minBytesPerS: 100, windowMs: 1000 };

  it('a body that drips below the minimum rate fails as a timeout', async () => {
    const { timers, advance } = manualTimers();
    const body = new PassThrough();
    const r = reader(new StallWatch(limits, timers), body);
    // One byte per 300 ms: 4 bytes in the first second, 100 needed.
    for (let i = 0; i < 4; i++) {
      await tick();
      advance(300);
      body.write(Buffer.from('x'));
    }
    await tick();
    advance(300);
    await expect(r.result).rejects.toMatchObject({ kind: 'timeout', message: expect.stringContaining('stalled') });
    expect(body.destroyed).toBe(true);
  });

  it('a body that hangs after a good window fails within the next window', async () => {
    const { timers, advance } = manualTimers();
    const body = new PassThrough();
    const r = reader(new StallWatch(limits, timers), body);
    await tick();
    body.write(Buffer.alloc(500));
    await tick();
    advance(1000);
    await tick();
    advance(1000);
    await expect(r.result).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('a body at the minimum rate completes', async () => {
    const { timers, advance } = manualTimers();
    const body = new PassThrough();
    const r = reader(new StallWatch(limits, timers), body);
    // 50 bytes per 250 ms: 150 bytes by each window's end, 100 needed.
    for (let i = 0; i < 20; i++) {
      await tick();
      advance(250);
      body.write(Buffer.alloc(50));
    }
    body.end();
    await expect(r.result).resolves.toBe(1000);
  });

  it('time spent waiting for our own reader (backpressure) does not count', async () => {
    const { timers, advance, pending } = manualTimers();
    const body = new PassThrough();
    body.write(Buffer.alloc(200));
    const seen: number[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const result = consume(body, new StallWatch(limits, timers), (chunk) => (seen.push(chunk.length), seen.length === 1 ? held : undefined));
    for (let i = 0; i < 10 && seen.length === 0; i++) await tick();
    expect(seen).toEqual([200]);
    // The consumer takes an hour over the first chunk: the window's timer lapses and none runs meanwhile.
    advance(3_600_000);
    expect(pending.size).toBe(0);
    body.end(Buffer.alloc(10));
    release();
    await expect(result).resolves.toBeUndefined();
    expect(seen).toEqual([200, 10]);
  });

  it('bytes that arrived while the loop was blocked count for the window the timer judges', async () => {
    const { timers, advance } = manualTimers();
    // Object mode: two writes stay two reads, as two socket reads would.
    const body = new PassThrough({ objectMode: true });
    const r = reader(new StallWatch(limits, timers), body);
    await tick();
    // A block: two reads' worth reach the stream (each below the 100 bytes a window needs, together
    // above), and the window's timer fires before the loop delivers them.
    body.write(Buffer.alloc(60));
    body.write(Buffer.alloc(60));
    advance(5_000);
    await tick();
    await tick();
    body.end();
    await expect(r.result).resolves.toBe(120);
  });

  it('a fast body arms one timer per window, not one per chunk', async () => {
    const { timers, advance } = manualTimers();
    let armed = 0;
    const counting: Timers = { ...timers, after: (ms, fn) => (armed++, timers.after(ms, fn)) };
    const body = new PassThrough();
    const r = reader(new StallWatch(limits, counting), body);
    // 100 chunks in 100 ms of waiting: well within one window.
    for (let i = 0; i < 100; i++) {
      await tick();
      advance(1);
      body.write(Buffer.alloc(10));
    }
    body.end();
    await expect(r.result).resolves.toBe(1000);
    expect(armed).toBe(1);
  });

  it('the body reports the time it waited for the upstream, not the time it waited for its reader', async () => {
    const { timers, advance } = manualTimers();
    const body = new PassThrough();
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let chunks = 0;
    const wait = { upstreamMs: -1 };
    const result = consume(body, new StallWatch(limits, timers), () => (++chunks === 1 ? held : undefined), wait);
    // 700 ms waiting for the upstream, then an hour waiting for the reader, then 2500 ms for the upstream again.
    advance(700);
    body.write(Buffer.alloc(200));
    for (let i = 0; i < 10 && chunks === 0; i++) await tick();
    advance(3_600_000);
    release();
    await tick();
    // Two more windows of upstream waiting, each bringing enough bytes.
    for (let i = 0; i < 5; i++) {
      advance(500);
      body.write(Buffer.alloc(100));
      await tick();
    }
    body.end();
    await expect(result).resolves.toBeUndefined();
    expect(wait.upstreamMs).toBe(3200);
  });
});
