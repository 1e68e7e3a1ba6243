// sendFile, the warm path of the disk cache, against a file handle and a
// client it controls: two buffers at most are ever in flight (a client that
// takes nothing holds no more), a buffer is read into again only once the
// socket took its bytes, an abort or a broken client stops the reading, and
// buffers that may sit in a broken write never go back to the shared pool.
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FileBuffers, type Lent } from '../../../src/store/file-buffers.js';
import type { BlobOutput } from '../../../src/store/output.js';
import { sendFile } from '../../../src/store/read-file.js';
import { UpstreamFailure } from '../../../src/upstream/failure.js';

const LIMITS = { large: 64, count: 4, small: 16, budget: 1 << 20, least: 4 };
const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 251));

/** A file handle over `content` that counts its reads and remembers the buffers read into. */
function fileOf(bytes: Buffer) {
  const reads: Buffer[] = [];
  const handle = {
    read: async (buffer: Buffer, offset: number, length: number, position: number) => {
      // As a real read does, through the event loop (a sender looping on reads cannot starve the timers).
      await new Promise<void>((r) => setImmediate(r));
      reads.push(buffer);
      const n = Math.max(0, Math.min(length, bytes.length - position));
      bytes.copy(buffer, offset, position, position + n);
      return { bytesRead: n, buffer };
    },
  } as unknown as FileHandle;
  return { handle, reads };
}

/** A client whose socket takes each write only when the test says (or at once with `auto`). */
function clientOf(auto: boolean, largestWrite?: number) {
  const received: Buffer[] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  const out: BlobOutput = {
    start: () => {},
    write: () => undefined,
    writeFlushed: (chunk) => {
      // The bytes as they are when the socket takes them, not when written: a buffer reused too early shows here.
      if (auto) {
        received.push(Buffer.from(chunk));
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => pending.push({ resolve: () => (received.push(Buffer.from(chunk)), resolve()), reject }));
    },
    end: () => void (ended = true),
    destroy: () => {},
    ...(largestWrite === undefined ? {} : { largestWrite }),
  };
  return { out, received, pending, ended: () => ended };
}

const ticks = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('sendFile', () => {
  it('sends exactly the span asked, through two shared buffers reused by the next response', async () => {
    const pool = new FileBuffers(LIMITS);
    const file = fileOf(content);
    const client = clientOf(true);
    expect(await sendFile(file.handle, { start: 3, end: 998 }, client.out, new AbortController().signal, pool)).toBe(996);
    expect(Buffer.concat(client.received).equals(content.subarray(3, 999))).toBe(true);
    expect(client.ended()).toBe(true);
    expect(new Set(file.reads).size).toBe(2);
    const again = clientOf(true);
    await sendFile(file.handle, undefined, again.out, new AbortController().signal, pool);
    expect(again.received.length).toBe(0);
    await sendFile(file.handle, { start: 0, end: 999 }, again.out, new AbortController().signal, pool);
    expect(new Set(file.reads).size).toBe(2);
    expect(Buffer.concat(again.received).equals(content)).toBe(true);
  });

  it('a client that takes nothing holds two buffers and stops the reading; each buffer is refilled only once its bytes were taken', async () => {
    const file = fileOf(content);
    const client = clientOf(false);
    const sending = sendFile(file.handle, { start: 0, end: 999 }, client.out, new AbortController().signal, new FileBuffers(LIMITS));
    await ticks();
    expect(file.reads.length).toBe(2);
    // One write at a time, each once the one before was taken.
    expect(client.pending.length).toBe(1);
    for (let i = 0; i < 100 && client.pending.length > 0; i++) {
      client.pending.shift()?.resolve();
      await ticks(5);
      expect(client.pending.length).toBeLessThanOrEqual(1);
    }
    expect(await sending).toBe(1000);
    expect(Buffer.concat(client.received).equals(content)).toBe(true);
  });

  it.each([
    ['whole buffers where the send timeout sees part of a write taken', undefined, 4 * 1024 * 1024],
    ['pieces of largestWrite where it sees only whole writes', 1024 * 1024, 1024 * 1024],
  ])('a large buffer goes out in %s, each once the one before was taken', async (_, largestWrite, most) => {
    const big = Buffer.alloc(9 * 1024 * 1024 + 3, 7);
    const client = clientOf(false, largestWrite);
    const sending = sendFile(fileOf(big).handle, { start: 0, end: big.length - 1 }, client.out, new AbortController().signal, new FileBuffers({ large: 4 * 1024 * 1024, count: 2, small: 16, budget: 8 * 1024 * 1024, least: 4 }));
    let settled = false;
    void sending.finally(() => (settled = true));
    for (let i = 0; i < 1000 && !settled; i++) {
      await ticks(2);
      expect(client.pending.length).toBeLessThanOrEqual(1);
      client.pending.shift()?.resolve();
    }
    expect(await sending).toBe(big.length);
    expect(Math.max(...client.received.map((b) => b.length))).toBe(most);
    expect(Buffer.concat(client.received).equals(big)).toBe(true);
  });

  it('an abort while a write waits rejects at once, reads no more, and the buffers are not reused', async () => {
    const pool = new FileBuffers(LIMITS);
    const file = fileOf(content);
    const client = clientOf(false);
    const abort = new AbortController();
    const sending = sendFile(file.handle, { start: 0, end: 999 }, client.out, abort.signal, pool);
    await ticks();
    abort.abort();
    await expect(sending).rejects.toMatchObject({ kind: 'aborted' });
    expect(file.reads.length).toBe(2);
    expect(client.ended()).toBe(false);
    const next = fileOf(content);
    await sendFile(next.handle, { start: 0, end: 999 }, clientOf(true).out, new AbortController().signal, pool);
    expect(next.reads.some((b) => file.reads.includes(b))).toBe(false);
  });

  it('a client gone mid-send stops the reading', async () => {
    const file = fileOf(content);
    const client = clientOf(false);
    const sending = sendFile(file.handle, { start: 0, end: 999 }, client.out, new AbortController().signal, new FileBuffers(LIMITS));
    await ticks();
    for (const p of client.pending.splice(0)) p.reject(new UpstreamFailure('aborted', 'client went away'));
    await expect(sending).rejects.toMatchObject({ kind: 'aborted' });
    expect(file.reads.length).toBe(2);
  });

  it('a file shorter than its recorded length is an error, never a short clean end', async () => {
    const client = clientOf(true);
    await expect(sendFile(fileOf(content.subarray(0, 500)).handle, { start: 0, end: 999 }, client.out, new AbortController().signal, new FileBuffers(LIMITS))).rejects.toThrow(/shorter/);
    expect(client.ended()).toBe(false);
  });
});

describe('FileBuffers', () => {
  it('lends shared buffers to large spans while two are free, and own small ones otherwise', () => {
    const pool = new FileBuffers(LIMITS);
    const a = pool.lend(1000);
    const b = pool.lend(1000);
    const c = pool.lend(1000);
    expect([a.shared, b.shared, c.shared]).toEqual([true, true, false]);
    expect(a.buffers[0]?.length).toBe(64);
    expect(c.buffers[0]?.length).toBe(16);
    expect((pool.lend(20)).buffers[0]?.length).toBe(16);
    pool.giveBack(a, true);
    const d = pool.lend(1000);
    expect(d.shared).toBe(true);
    expect(new Set([...d.buffers, ...a.buffers]).size).toBe(2);
    pool.giveBack(b, false);
    const e = pool.lend(1000);
    expect(e.shared).toBe(true);
    expect(e.buffers.some((x) => b.buffers.includes(x))).toBe(false);
  });

  it('never waits: past its budget a response gets the smallest buffers, outside it (red-team finding: slow alive readers held the budget and every warm client waited)', () => {
    // Room for one shared pair (128) and two own pairs (2 × 32).
    const pool = new FileBuffers({ ...LIMITS, budget: 192 });
    const held = [pool.lend(1000), pool.lend(1000), pool.lend(1000)];
    expect(held.map((l) => l.shared)).toEqual([true, false, false]);
    const past = [pool.lend(1000), pool.lend(2)];
    expect(past.map((l) => l.buffers[0]?.length)).toEqual([4, 2]);
    expect(pool.bytes).toBe(192);
    pool.giveBack(held[1] as Lent, true);
    expect(pool.lend(1000).buffers[0]?.length).toBe(16);
    for (const l of past) pool.giveBack(l, true);
    expect(pool.bytes).toBe(192);
    expect(pool.peak).toBe(192);
  });
});
