// The batched log destination against outputs that misbehave: a pipe that
// takes part of a write, one that takes nothing (EAGAIN), one that is gone
// (EPIPE), a disk that is full for a moment (ENOSPC). Time is driven by hand: the sink's timer runs when the test says.
import { describe, expect, it } from 'vitest';
import { BUFFER_BYTES, LineSink, type WriteSome } from '../../../src/observability/line-sink.js';

/** An output that records what it was given; `take` decides how much of each write it accepts. */
function output(take: (bytes: Buffer) => number | Error = (b) => b.length) {
  const written: Buffer[] = [];
  let calls = 0;
  const writeTo: WriteSome = (_fd, bytes) => {
    calls++;
    const n = take(bytes);
    if (n instanceof Error) throw n;
    written.push(Buffer.from(bytes.subarray(0, n)));
    return n;
  };
  return { writeTo, text: () => Buffer.concat(written).toString(), calls: () => calls };
}

/** A timer the test fires by hand. */
function timers() {
  const due: (() => void)[] = [];
  return { schedule: (_ms: number, fn: () => void) => void due.push(fn), fire: () => due.splice(0).forEach((fn) => fn()), pending: () => due.length };
}

const errno = (code: string) => Object.assign(new Error(code), { code });
const line = (i: number) => `{"n":"${String(i).padStart(6, '0')}","pad":"${'x'.repeat(200)}"}\n`;

describe('LineSink', () => {
  it('holds lines until its timer fires, then writes them in one write, in order', () => {
    const out = output();
    const t = timers();
    const sink = new LineSink(1, 100, t.schedule, out.writeTo);
    for (let i = 0; i < 50; i++) sink.write(line(i));
    expect(out.calls()).toBe(0);
    expect(t.pending()).toBe(1);
    t.fire();
    expect(out.calls()).toBe(1);
    expect(out.text()).toBe(Array.from({ length: 50 }, (_, i) => line(i)).join(''));
  });

  it('writes a full buffer before taking the line that would not fit, and never holds more than BUFFER_BYTES', () => {
    const out = output();
    const sink = new LineSink(1, 100, timers().schedule, out.writeTo);
    const count = Math.ceil((3 * BUFFER_BYTES) / line(0).length);
    for (let i = 0; i < count; i++) sink.write(line(i));
    expect(out.calls()).toBeGreaterThanOrEqual(2);
    sink.flush();
    expect(out.text()).toBe(Array.from({ length: count }, (_, i) => line(i)).join(''));
  });

  it('continues a write the output took only part of, byte for byte', () => {
    const out = output((b) => Math.min(b.length, 7));
    const sink = new LineSink(1, 100, timers().schedule, out.writeTo);
    sink.write('{"a":"é✓"}\n');
    sink.write('{"b":2}\n');
    sink.flush();
    expect(out.text()).toBe('{"a":"é✓"}\n{"b":2}\n');
  });

  // EAGAIN: a reader behind; ENOSPC, EDQUOT: a full disk, freed later; EIO: a moment's device error (red team F3).
  it.each(['EAGAIN', 'ENOSPC', 'EDQUOT', 'EIO'])('keeps what an output failing with %s did not take, drops and counts lines past the buffer, and says so once it writes again', (code) => {
    let blocked = true;
    const out = output((b) => (blocked ? errno(code) : b.length));
    const t = timers();
    const sink = new LineSink(1, 100, t.schedule, out.writeTo);
    const fit = Math.floor(BUFFER_BYTES / line(0).length);
    for (let i = 0; i < fit + 5; i++) sink.write(line(i));
    t.fire();
    expect(out.text()).toBe('');
    blocked = false;
    t.fire();
    const lines = out.text().split('\n').filter(Boolean);
    expect(lines.slice(0, fit)).toEqual(Array.from({ length: fit }, (_, i) => line(i).trimEnd()));
    expect(lines.length).toBe(fit);
    t.fire();
    const note = JSON.parse(out.text().split('\n').filter(Boolean).at(-1) as string) as { dropped: number; level: number };
    expect(note).toMatchObject({ dropped: 5, level: 40 });
  });

  it('stops writing once the output is gone (EPIPE), without throwing', () => {
    const out = output(() => errno('EPIPE'));
    const sink = new LineSink(1, 0, timers().schedule, out.writeTo);
    sink.write(line(1));
    sink.write(line(2));
    expect(out.calls()).toBe(1);
  });

  it('at exit, waits a bounded while for an output that would block, then gives up', () => {
    let blocked = 3;
    const out = output((b) => (blocked-- > 0 ? errno('EAGAIN') : b.length));
    let pauses = 0;
    const sink = new LineSink(1, 100, timers().schedule, out.writeTo, () => void pauses++);
    sink.write(line(1));
    sink.flushAtExit();
    expect(out.text()).toBe(line(1));
    expect(pauses).toBe(3);
    const stuck = new LineSink(1, 100, timers().schedule, output(() => errno('EAGAIN')).writeTo, () => void pauses++);
    stuck.write(line(2));
    pauses = 0;
    stuck.flushAtExit();
    expect(pauses).toBeGreaterThan(0);
    expect(pauses).toBeLessThanOrEqual(1000);
  });

  it('replaces a line larger than the buffer with one whole line that says so, and keeps the next whole (red team F2)', () => {
    let calls = 0;
    // The first write takes a little and then the output blocks: what is left must not be lost mid-line.
    const out = output((b) => (++calls === 1 ? Math.min(100, b.length) : calls === 2 ? errno('EAGAIN') : b.length));
    const t = timers();
    const sink = new LineSink(1, 0, t.schedule, out.writeTo);
    sink.write(`{"level":50,"big":"${'x'.repeat(2 * BUFFER_BYTES)}","msg":"big"}\n`);
    sink.write('{"level":30,"msg":"after"}\n');
    t.fire();
    sink.flush();
    const lines = out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; level: number; bytes?: number });
    expect(lines.map((l) => l.msg)).toEqual([`log line cut: larger than the ${BUFFER_BYTES}-byte log buffer`, 'after']);
    expect(lines[0]).toMatchObject({ level: 50 });
    expect(lines[0]?.bytes).toBeGreaterThan(2 * BUFFER_BYTES);
  });

  it("calls back pino's logger.flush once the lines are written", () => {
    const out = output();
    const sink = new LineSink(1, 100, timers().schedule, out.writeTo);
    sink.write(line(1));
    let seen = '';
    sink.flush(() => (seen = out.text()));
    expect(seen).toBe(line(1));
  });

  it('with flushMs 0, writes each line at once', () => {
    const out = output();
    const sink = new LineSink(1, 0, timers().schedule, out.writeTo);
    sink.write(line(1));
    expect(out.text()).toBe(line(1));
  });
});
