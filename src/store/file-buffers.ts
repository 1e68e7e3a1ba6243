// The buffers cached files are sent through. Larger reads and writes cost
// less per byte: 1 GiB from the page cache to a loopback client took 0.67
// CPU-s with 512 KiB reads and writes, 0.58 with 1 MiB, 0.47 with 2 MiB and
// 0.41 with 4 MiB (writes are whole buffers since the send timeout judges
// progress, server/send-timeout.ts). Two 4 MiB buffers for every response
// would let many slow clients hold a lot of memory, so a few large buffers are
// shared: a response borrows two while any are free, and one that finds none
// reads through two 256 KiB buffers of its own. A reader of a fill still in
// flight borrows one 256 KiB buffer: what it reads back from the file when it
// fell behind the fill's memory, and the most of the fill's chunks one of its
// writes pins (a stalled reader holds both). All those lent buffers together
// stay within a budget (cache.blobs.max_send_buffer_bytes). Past it a response
// never waits (slow but alive clients could hold the budget for the whole pull
// deadline, and every other warm client would wait behind them): it gets 64
// KiB buffers outside the budget, two for a cached file, one for a fill. A
// response lends only once it owns its connection (read-file.ts), so each
// connection holds at most one response's buffers, and memory past the budget
// stays within 2 x 64 KiB x server.max_connections (1.25 GiB at the default
// 10000, 128 KiB per connection). Reported as
// mirrorgate_blob_send_buffer_bytes (the budget's part).
const MiB = 1024 * 1024;

export interface FileBufferLimits {
  /** Size of a shared buffer. */
  readonly large: number;
  /** Shared buffers in all (two per response). */
  readonly count: number;
  /** Size of a response's own buffers when no shared ones are free, and of a fill reader's buffer. */
  readonly small: number;
  /** Bytes of all shared and small buffers lent at once. */
  readonly budget: number;
  /** Size of a response's own buffers past the budget (not counted in it). */
  readonly least: number;
}

export const FILE_BUFFER_LIMITS: FileBufferLimits = { large: 4 * MiB, count: 4, small: 256 * 1024, budget: 64 * MiB, least: 64 * 1024 };

export interface Lent {
  readonly buffers: readonly Buffer[];
  /** The buffers are shared ones, to be given back. */
  readonly shared: boolean;
  /** Bytes of the budget the buffers take (0 past it). */
  readonly counted: number;
}

export class FileBuffers {
  private readonly spare: Buffer[] = [];
  private sharedOut = 0;
  private lent = 0;
  private most = 0;

  constructor(
    private readonly limits: FileBufferLimits = FILE_BUFFER_LIMITS,
    private readonly report: (bytes: number) => void = () => {},
  ) {}

  /**
   * Two buffers to send `length` bytes through: shared ones for a large span
   * while two are free, else the response's own, small ones within the
   * budget, smallest past it. Never waits.
   */
  lend(length: number): Lent {
    const { large, count, small, budget } = this.limits;
    if (length > 2 * small && this.sharedOut + 2 <= count && this.lent + 2 * large <= budget) {
      this.sharedOut += 2;
      this.count(2 * large);
      return { buffers: [this.spare.pop() ?? Buffer.allocUnsafeSlow(large), this.spare.pop() ?? Buffer.allocUnsafeSlow(large)], shared: true, counted: 2 * large };
    }
    return this.own(Math.max(1, Math.min(length, small)), 2);
  }

  /**
   * One buffer for a reader of a fill in flight: its size is what the reader
   * reads back from the file at once and the most of the fill's chunks one
   * write of it carries. Small within the budget, smallest past it. Never
   * waits.
   */
  lendOne(): Lent {
    return this.own(this.limits.small, 1);
  }

  /** `n` buffers of the response's own: `size` while they fit the budget, else at most `least` and not counted. */
  private own(size: number, n: number): Lent {
    const { budget, least } = this.limits;
    const fits = this.lent + n * size <= budget;
    const each = fits ? size : Math.min(size, least);
    const counted = fits ? n * each : 0;
    this.count(counted);
    return { buffers: Array.from({ length: n }, () => Buffer.allocUnsafeSlow(each)), shared: false, counted };
  }

  /**
   * Takes back what `lend` gave. `reusable` is false when a write may still
   * hold the buffers (a response that broke): they are left to the garbage
   * collector and new ones made in their place when needed.
   */
  giveBack(lent: Lent, reusable: boolean): void {
    this.count(-lent.counted);
    if (lent.shared) {
      this.sharedOut -= 2;
      if (reusable) this.spare.push(...lent.buffers);
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

  private count(bytes: number): void {
    this.lent += bytes;
    this.most = Math.max(this.most, this.lent);
    this.report(this.lent);
  }
}
