// Reading an upstream body in flowing mode: chunks as pushed, one wait at a
// time, and no settling while a wait is outstanding (a next copy must not
// overtake this one's last write: the fill writes at file offsets).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { STOP, consume } from '../../../src/upstream/body-flow.js';
import { SMALL_CHUNK } from '../../../src/upstream/held-chunks.js';
import { StallWatch, type Timers } from '../../../src/upstream/stall.js';

// Timers that never fire: stall judgement is stall.test.ts's business.
const still: Timers = { now: () => 0, after: () => () => {}, afterPoll: () => () => {} };
const watch = () => new StallWatch({ minBytesPerS: 1, windowMs: 1000 }, still);
const tick = () => new Promise((r) => setImmediate(r));
/** A chunk large enough to be handed on as is. */
const BIG = SMALL_CHUNK;

function deferred() {
  let resolve: () => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Settles to 'pending' when `p` has not settled after a few loop turns. */
async function state(p: Promise<unknown>): Promise<string> {
  let s = 'pending';
  p.then(() => (s = 'resolved'), () => (s = 'rejected'));
  for (let i = 0; i < 5; i++) await tick();
  return s;
}

describe('consume (flowing body reader)', () => {
  it('hands over each chunk as pushed, never a concatenation of buffered ones', async () => {
    const body = new PassThrough();
    body.write(Buffer.alloc(BIG));
    body.write(Buffer.alloc(BIG + 1));
    body.end(Buffer.alloc(BIG + 2));
    const seen: number[] = [];
    await consume(body, watch(), (c) => void seen.push(c.length));
    expect(seen).toEqual([BIG, BIG + 1, BIG + 2]);
  });

  it('copies small chunks of one turn together, in order, before a large one and at the end (F1/F2: one-byte HTTP chunks)', async () => {
    const body = new PassThrough();
    const bytes = Buffer.from(Array.from({ length: 2000 }, (_, i) => i % 251));
    const seen: Buffer[] = [];
    const consumed = consume(body, watch(), (c) => void seen.push(Buffer.from(c)));
    for (let i = 0; i < 1000; i++) body.write(bytes.subarray(i, i + 1));
    const big = Buffer.alloc(BIG, 7);
    body.write(big);
    for (let i = 1000; i < 2000; i++) body.write(bytes.subarray(i, i + 1));
    body.end();
    await consumed;
    expect(seen.map((c) => c.length)).toEqual([1000, BIG, 1000]);
    expect(Buffer.concat(seen).equals(Buffer.concat([bytes.subarray(0, 1000), big, bytes.subarray(1000)]))).toBe(true);
  });

  it('delivers no chunk while a wait is outstanding; what arrived meanwhile comes after it, each chunk as it came (no copy)', async () => {
    const body = new PassThrough();
    const sent = Array.from({ length: 5 }, (_, i) => Buffer.alloc(BIG + i, i));
    for (const chunk of sent) body.write(chunk);
    body.end();
    const seen: Buffer[] = [];
    const wait = deferred();
    const done = consume(body, watch(), (c) => (seen.push(c), seen.length === 2 ? wait.promise : undefined));
    expect(await state(done)).toBe('pending');
    expect(seen.map((c) => c.length)).toEqual([BIG, BIG + 1]);
    wait.resolve();
    await done;
    expect(seen.map((c) => c.length)).toEqual(sent.map((c) => c.length));
    // The very Buffers pushed (their memory), not copies of them.
    expect(seen.every((c, i) => c.buffer === (sent[i] as Buffer).buffer && c.byteOffset === (sent[i] as Buffer).byteOffset)).toBe(true);
  });

  it('a held chunk that starts a wait holds the rest back until it is over, in order', async () => {
    const body = new PassThrough();
    for (let i = 0; i < 5; i++) body.write(Buffer.alloc(BIG + i));
    body.end();
    const seen: number[] = [];
    const waits = [deferred(), deferred()];
    const done = consume(body, watch(), (c) => {
      seen.push(c.length);
      if (seen.length === 1) return (waits[0] as ReturnType<typeof deferred>).promise;
      return seen.length === 3 ? (waits[1] as ReturnType<typeof deferred>).promise : undefined;
    });
    expect(await state(done)).toBe('pending');
    (waits[0] as ReturnType<typeof deferred>).resolve();
    expect(await state(done)).toBe('pending');
    expect(seen).toEqual([BIG, BIG + 1, BIG + 2]);
    (waits[1] as ReturnType<typeof deferred>).resolve();
    await done;
    expect(seen).toEqual([BIG, BIG + 1, BIG + 2, BIG + 3, BIG + 4]);
  });

  it('collects at most 1 MiB during a wait, then pauses the body (backpressure to the upstream)', async () => {
    const body = new PassThrough({ highWaterMark: 64 * 1024 });
    const seen: number[] = [];
    const wait = deferred();
    const done = consume(body, watch(), (c) => (seen.push(c.length), seen.length === 1 ? wait.promise : undefined));
    let accepted = 0;
    for (let i = 0; i < 64 && body.write(Buffer.alloc(64 * 1024)); i++) {
      accepted++;
      await tick();
    }
    // The first chunk, 16 collected while waiting (1 MiB), then the body's own buffer filled: writes refused.
    expect(accepted).toBeLessThan(64);
    expect(body.isPaused()).toBe(true);
    wait.resolve();
    body.end();
    await done;
    expect(seen.length).toBeGreaterThan(17);
    expect(seen.every((n) => n === 64 * 1024)).toBe(true);
  });

  /** A read whose body breaks while the consumer's first wait is outstanding. */
  async function brokenDuringWait() {
    const body = new PassThrough();
    const wait = deferred();
    const done = consume(body, watch(), () => wait.promise);
    body.write(Buffer.alloc(8));
    await tick();
    body.destroy(new Error('reset'));
    return { done, wait };
  }

  it('a body that breaks during a wait fails only once the wait is over', async () => {
    const { done, wait } = await brokenDuringWait();
    expect(await state(done)).toBe('pending');
    wait.resolve();
    await expect(done).rejects.toThrow('reset');
  });

  it('a failed wait wins over a break that happened meanwhile', async () => {
    const { done, wait } = await brokenDuringWait();
    wait.reject(new Error('client gone'));
    await expect(done).rejects.toThrow('client gone');
  });

  it('a body cut short without an error is a failure, not an end', async () => {
    const body = new PassThrough();
    const done = consume(body, watch(), () => undefined);
    body.write(Buffer.alloc(8));
    await tick();
    body.destroy();
    await expect(done).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('a consumer that throws fails the read; the body, let go alive, may still fail without an uncaught error', async () => {
    const body = new PassThrough();
    body.write(Buffer.alloc(8));
    await expect(consume(body, watch(), () => { throw new Error('too long'); })).rejects.toThrow('too long');
    body.destroy(new Error('reset after'));
    await tick();
    expect(body.destroyed).toBe(true);
  });

  it('a body that ended during a wait still fails when the batch handed after it is refused', async () => {
    const body = new PassThrough();
    const wait = deferred();
    let calls = 0;
    const done = consume(body, watch(), () => {
      calls++;
      if (calls === 1) return wait.promise;
      throw new Error('longer than declared');
    });
    body.write(Buffer.alloc(8));
    await tick();
    body.end(Buffer.alloc(8));
    expect(await state(done)).toBe('pending');
    wait.resolve();
    await expect(done).rejects.toThrow('longer than declared');
  });

  it('STOP, at once or after a wait, ends the read without taking more', async () => {
    const body = new PassThrough();
    for (let i = 0; i < 4; i++) body.write(Buffer.alloc(BIG));
    const seen: number[] = [];
    await consume(body, watch(), (c) => (seen.push(c.length), seen.length === 2 ? STOP : undefined));
    expect(seen).toHaveLength(2);
    const later: number[] = [];
    await consume(body, watch(), (c) => (later.push(c.length), Promise.resolve(STOP)));
    expect(later).toHaveLength(1);
  });
});
