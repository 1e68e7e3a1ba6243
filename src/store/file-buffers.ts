// The buffers cached files are sent through. Larger reads and writes cost
// less per byte: 1 GiB from the page cache to a loopback client took 0.67
// CPU-s with 512 KiB reads and writes, 0.58 with 1 MiB, 0.47 with 2 MiB and
// 0.41 with 4 MiB (writes are whole buffers since the send timeout judges
// progress, server/send-timeout.ts). Two 4 MiB buffers for every response
// would let many slow clients hold a lot of memory, so a few large buffers are
// shared: a response borrows two while any are free, and one that finds none
// reads through two small buffers of its own. All lent buffers together stay
// within a budget (cache.blobs.max_send_buffer_bytes): a response that would
// pass it waits, first come first served, until others give theirs back (the
// send timeout frees those of clients that stopped reading), or until its own
// signal aborts (client gone, pull deadline). Reported as
// mirrorgate_blob_send_buffer_bytes.
import { UpstreamFailure } from '../upstream/failure.js';

const MiB = 1024 * 1024;

export interface FileBufferLimits {
  /** Size of a shared buffer. */
  readonly large: number;
  /** Shared buffers in all (two per response). */
  readonly count: number;
  /** Size of a response's own buffers when no shared ones are free. */
  readonly small: number;
  /** Bytes of all buffers lent at once. */
  readonly budget: number;
}

export const FILE_BUFFER_LIMITS: FileBufferLimits = { large: 4 * MiB, count: 4, small: 256 * 1024, budget: 64 * MiB };

export interface Lent {
  readonly buffers: readonly [Buffer, Buffer];
  /** The buffers are shared ones, to be given back. */
  readonly shared: boolean;
}

interface Waiter {
  readonly length: number;
  readonly grant: (lent: Lent) => void;
}

export class FileBuffers {
  private readonly spare: Buffer[] = [];
  private readonly waiting: Waiter[] = [];
  private sharedOut = 0;
  private lent = 0;
  private most = 0;

  constructor(
    private readonly limits: FileBufferLimits = FILE_BUFFER_LIMITS,
    private readonly report: (bytes: number) => void = () => {},
  ) {}

  /**
   * Two buffers to send `length` bytes through: shared ones for a large span
   * while two are free, else the response's own; once the budget allows it,
   * after those who asked before. Rejects `aborted` when `signal` aborts first.
   */
  lend(length: number, signal: AbortSignal): Promise<Lent> {
    const now = this.waiting.length === 0 ? this.tryLend(length) : undefined;
    if (now) return Promise.resolve(now);
    if (signal.aborted) return Promise.reject(stopped());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(stopped());
      };
      const waiter: Waiter = {
        length,
        grant: (lent) => {
          signal.removeEventListener('abort', onAbort);
          resolve(lent);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /**
   * Takes back what `lend` gave. `reusable` is false when a write may still
   * hold the buffers (a response that broke): they are left to the garbage
   * collector and new ones made in their place when needed.
   */
  giveBack(lent: Lent, reusable: boolean): void {
    this.count(-sizeOf(lent));
    if (lent.shared) {
      this.sharedOut -= 2;
      if (reusable) this.spare.push(...lent.buffers);
    }
    for (let next = this.waiting[0]; next; next = this.waiting[0]) {
      const granted = this.tryLend(next.length);
      if (!granted) break;
      this.waiting.shift();
      next.grant(granted);
    }
  }

  /** Bytes lent now. */
  get bytes(): number {
    return this.lent;
  }

  /** The most ever lent at once (tests read it). */
  get peak(): number {
    return this.most;
  }

  private tryLend(length: number): Lent | undefined {
    const { large, count, small, budget } = this.limits;
    if (length > 2 * small && this.sharedOut + 2 <= count && this.lent + 2 * large <= budget) {
      this.sharedOut += 2;
      this.count(2 * large);
      return { buffers: [this.spare.pop() ?? Buffer.allocUnsafeSlow(large), this.spare.pop() ?? Buffer.allocUnsafeSlow(large)], shared: true };
    }
    const size = Math.max(1, Math.min(length, small));
    if (this.lent + 2 * size > budget) return undefined;
    this.count(2 * size);
    return { buffers: [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)], shared: false };
  }

  private count(bytes: number): void {
    this.lent += bytes;
    this.most = Math.max(this.most, this.lent);
    this.report(this.lent);
  }
}

const sizeOf = (lent: Lent): number => lent.buffers[0].length + lent.buffers[1].length;

const stopped = () => new UpstreamFailure('aborted', 'request aborted');
