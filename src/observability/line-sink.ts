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
import { writeSync } from 'node:fs';

/** About 150 access lines. Also the most memory the sink ever holds. */
export const BUFFER_BYTES = 64 * 1024;

/** Runs `fn` after `ms`; must not keep the process alive (the real one is an unref'd setTimeout). */
export type Schedule = (ms: number, fn: () => void) => void;

const unrefTimer: Schedule = (ms, fn) => void setTimeout(fn, ms).unref();

/** Writes some of `bytes` to `fd` (a pipe may take part of them) and returns how many, or throws. */
export type WriteSome = (fd: number, bytes: Buffer) => number;

const writeSome: WriteSome = (fd, bytes) => writeSync(fd, bytes, 0, bytes.length);

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
  ) {}

  /** One whole line, newline included (pino's DestinationStream). */
  write(line: string): void {
    if (this.broken) return;
    if (!this.fits(line)) this.writeBuffered();
    if (!this.fits(line)) {
      // The descriptor took nothing (a full non-blocking pipe): the line is lost, and counted.
      if (this.used > 0) this.dropped++;
      // A line larger than the whole buffer goes out alone.
      else this.writeBytes(Buffer.from(line));
      return;
    }
    this.used += this.buffer.write(line, this.used);
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

  /** Bytes written; stops early only when the descriptor would block (EAGAIN) or broke. */
  private writeBytes(bytes: Buffer): number {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += this.writeTo(this.fd, bytes.subarray(done));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return done;
        // EPIPE and the like: nobody reads our log any more; stop writing, as pino does on EPIPE.
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
