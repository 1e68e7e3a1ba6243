// The buffers cached files are sent through. Larger reads cost less per
// byte: 1 GiB from the page cache to a loopback client took 0.67 CPU-s with
// 512 KiB reads and writes, 0.58 with 1 MiB, 0.47 with 2 MiB and 0.41 with
// 4 MiB; with writes kept at 1 MiB (read-file.ts), 4 MiB reads took 0.52
// against 0.57 for 1 MiB. Two 4 MiB buffers for every response would let
// many slow clients hold a lot of memory, so a few large buffers are shared:
// a response borrows two while any are free, and one that finds none reads
// through two small buffers of its own. Memory held: `count` large buffers,
// plus two small ones per response beyond them.

const MiB = 1024 * 1024;

export interface FileBufferLimits {
  /** Size of a shared buffer. */
  readonly large: number;
  /** Shared buffers in all (two per response). */
  readonly count: number;
  /** Size of a response's own buffers when no shared ones are free. */
  readonly small: number;
}

export const FILE_BUFFER_LIMITS: FileBufferLimits = { large: 4 * MiB, count: 4, small: 256 * 1024 };

export interface Lent {
  readonly buffers: readonly [Buffer, Buffer];
  /** The buffers are shared ones, to be given back. */
  readonly shared: boolean;
}

export class FileBuffers {
  private readonly spare: Buffer[] = [];
  private out = 0;

  constructor(private readonly limits: FileBufferLimits = FILE_BUFFER_LIMITS) {}

  /** Two buffers to send `length` bytes through: shared ones for a large span while two are free, else the response's own. */
  lend(length: number): Lent {
    const { large, count, small } = this.limits;
    if (length > 2 * small && this.out + 2 <= count) {
      this.out += 2;
      return { buffers: [this.spare.pop() ?? Buffer.allocUnsafeSlow(large), this.spare.pop() ?? Buffer.allocUnsafeSlow(large)], shared: true };
    }
    const size = Math.max(1, Math.min(length, small));
    return { buffers: [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)], shared: false };
  }

  /**
   * Takes back what `lend` gave. `reusable` is false when a write may still
   * hold the buffers (a response that broke): they are left to the garbage
   * collector and new ones made in their place when needed.
   */
  giveBack(lent: Lent, reusable: boolean): void {
    if (!lent.shared) return;
    this.out -= 2;
    if (reusable) this.spare.push(...lent.buffers);
  }
}
