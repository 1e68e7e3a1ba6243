// Where log lines go by default: stdout, in batches. Each line is copied
// into one fixed buffer, and the buffer is written to the file descriptor
// when the next line would not fit, on a short timer, on flush() and when
// the process exits. A cached manifest request writes one access line; as
// its own write, or through sonic-boom (pino's default destination, which
// measures its whole pending string on every line), that line cost about as
// much as the rest of the request (issue 11). Written with writeSync, as
// Node writes process.stdout to files and pipes: in order, and nothing
// queued for the thread pool, where the disk cache's reads wait.
// At most BUFFER_BYTES of lines (or `flushMs` of them) are lost if the
// process dies without running its exit handlers (SIGKILL, an abort);
// uncaught errors, process.exit and signals that mirrorgate handles all end
// through 'exit', which flushes.
// A pipe or socket stdout is written non-blocking (openStdout): a reader
// that stops reading (a stuck log shipper, a full journald) costs log lines,
// counted, never the event loop; a file stays blocking.
import { fstatSync, writeSync } from 'node:fs';
import { escapeLineBreakers } from '../core/log-text.js';

/** About 150 access lines. Also the most memory the sink ever holds. */
export const BUFFER_BYTES = 64 * 1024;

/** Runs `fn` after `ms`; must not keep the process alive (the real one is an unref'd setTimeout). */
export type Schedule = (ms: number, fn: () => void) => void;

const unrefTimer: Schedule = (ms, fn) => void setTimeout(fn, ms).unref();

/** Writes some of `bytes` to `fd` (a pipe may take part of them) and returns how many, or throws. */
export type WriteSome = (fd: number, bytes: Buffer) => number;

const writeSome: WriteSome = (fd, bytes) => writeSync(fd, bytes, 0, bytes.length);

/** Waits about `ms` on the main thread: only at exit, where no timer will fire again. */
export type Pause = (ms: number) => void;

const sleepSync: Pause = (ms) => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** At exit, how often a blocked output is tried again, 1 ms apart, before the buffered lines are lost. */
const EXIT_TRIES = 500;

/** How much of a line too large for the buffer is kept, quoted, in the line that replaces it. */
const CUT_HEAD_CHARS = 4096;

/** Write errors after which nobody will ever read the log again (as pino stops on EPIPE); any other one may pass. */
const GONE = new Set(['EPIPE', 'EBADF']);

/**
 * Descriptor 1, made non-blocking when it is a pipe or a socket: Node's own
 * stdout stream opens it through libuv (uv_pipe_open, uv_tcp_open), which
 * sets O_NONBLOCK; a full pipe then answers EAGAIN, where the sink keeps or
 * drops and counts lines. A file (or a terminal) stays as it is: a disk is
 * not a peer that can stall us.
 */
export function openStdout(): number {
  const stat = fstatSync(1);
  if (stat.isFIFO() || stat.isSocket()) void process.stdout;
  return 1;
}

export class LineSink {
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private armed = false;
  private dropped = 0;
  private broken = false;

  constructor(
    private readonly fd: number,
    private readonly flushMs: number,
    private readonly schedule: Schedule = unrefTimer,
    private readonly writeTo: WriteSome = writeSome,
    private readonly pause: Pause = sleepSync,
  ) {}

  /** One whole line, newline included (pino's DestinationStream). */
  write(line: string): void {
    if (this.broken) return;
    if (!this.fits(line)) this.writeBuffered();
    // Larger than the whole buffer: replaced by a line that says so, so the output only ever holds whole lines.
    const whole = this.used === 0 && !this.fits(line) ? cutLine(line) : line;
    if (!this.fits(whole)) {
      // The descriptor did not take enough (a full non-blocking pipe, a full disk): the line is lost, and counted.
      this.dropped++;
      return;
    }
    this.used += this.buffer.write(whole, this.used);
    if (this.flushMs === 0) this.writeBuffered();
    else this.arm();
  }

  /**
   * Writes what is buffered now; what the descriptor does not take stays for
   * the next flush. `done` (pino's logger.flush passes one) is called after.
   */
  flush(done?: () => void): void {
    this.writeBuffered();
    done?.();
  }

  /**
   * At exit no timer fires again: an output that would block (a slow
   * reader) is given a bounded wait for the buffered lines.
   */
  flushAtExit(): void {
    this.writeBuffered();
    for (let i = 0; i < EXIT_TRIES && this.used > 0 && !this.broken; i++) {
      this.pause(1);
      this.writeBuffered();
    }
  }

  private writeBuffered(): void {
    if (this.used === 0 || this.broken) return;
    const written = this.writeBytes(this.buffer.subarray(0, this.used));
    this.buffer.copyWithin(0, written, this.used);
    this.used -= written;
    if (this.used === 0 && this.dropped > 0) {
      // Once the output takes bytes again, it is told how many lines it missed.
      this.used = this.buffer.write(`{"level":40,"time":${Date.now()},"service":"mirrorgate","dropped":${this.dropped},"msg":"log lines dropped: the log output took no bytes while the buffer was full"}\n`);
      this.dropped = 0;
    }
    if (this.used > 0) this.arm();
  }

  /** utf8 takes at most 3 bytes per UTF-16 unit: the exact length is measured only for a line that may not fit. */
  private fits(line: string): boolean {
    const room = BUFFER_BYTES - this.used;
    return line.length * 3 <= room || Buffer.byteLength(line) <= room;
  }

  /**
   * Bytes written; stops early when the descriptor would block (EAGAIN) or
   * fails for now (ENOSPC, EDQUOT: a full disk that may be freed; EIO), and
   * the rest waits for the next flush; only a reader gone for good (EPIPE,
   * EBADF) stops the logging.
   */
  private writeBytes(bytes: Buffer): number {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += this.writeTo(this.fd, bytes.subarray(done));
      } catch (err) {
        if (!GONE.has((err as NodeJS.ErrnoException).code ?? '')) return done;
        this.broken = true;
        return bytes.length;
      }
    }
    return done;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.schedule(this.flushMs || 1, () => {
      this.armed = false;
      this.writeBuffered();
    });
  }
}

/** The line that stands for one too large for the buffer: its level, its size and its start, quoted. */
function cutLine(line: string): string {
  const level = /^\{"level":(\d+)/.exec(line)?.[1] ?? '40';
  const head = escapeLineBreakers(JSON.stringify(line.slice(0, CUT_HEAD_CHARS)));
  return `{"level":${level},"time":${Date.now()},"service":"mirrorgate","bytes":${Buffer.byteLength(line)},"head":${head},"msg":"log line cut: larger than the ${BUFFER_BYTES}-byte log buffer"}\n`;
}
