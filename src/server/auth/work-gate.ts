// Bounds expensive work that any client can trigger (a bcrypt comparison
// costs ~100 ms of CPU on the event loop's thread, and a hostile client can
// send a fresh wrong password per request): at most `concurrent` run, at
// most `waiting` queue, and the rest are refused at once instead of piling up.
export class GateFullError extends Error {
  override readonly name = 'GateFullError';
}

export class WorkGate {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly concurrent: number,
    private readonly waiting: number,
  ) {}

  /** Runs `work` when a slot is free; throws GateFullError when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrent) {
      if (this.queue.length >= this.waiting) throw new GateFullError('too many verifications waiting');
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, or frees up.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
