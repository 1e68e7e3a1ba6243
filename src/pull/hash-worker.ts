// Hashing a large blob on another core. One core's SHA-256 (about 1.9 GiB/s
// with SHA-NI) is the limit of a cold verified stream when the hash runs on
// the thread that also copies the bytes to the client; here a worker thread
// hashes while the main thread copies, each chunk written into a ring in
// shared memory that the worker reads behind it. The ring is bounded: when
// the worker falls behind, the body is not read further (backpressure up to
// the upstream). A worker that dies or is stopped fails its hash, so the
// fetch fails and the held-back last chunk is never released.
//
// The worker's code is a string (evaluated as CommonJS) so that it runs the
// same from dist/ and from the TypeScript sources under vitest, with no file
// to locate at run time.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface Hasher {
  /** Takes a chunk; returns a promise to wait for before the next one when the hasher is full. */
  update(chunk: Buffer): Promise<void> | undefined;
  /** The hex digest of everything given. */
  digest(): Promise<string>;
  /** Lets go without a digest (the copy broke): frees the worker. */
  abort(): void;
}

/** The hash of one blob could not be computed (its worker died): the fetch fails, never the endpoint's fault. */
export class HashFailure extends Error {
  override readonly name = 'HashFailure';
}

// Control words in front of the ring: positions count bytes modulo 2^31.
const WRITE = 0;
const READ = 1;
const FLAGS = 2;
const SEQ = 3;
const FINISH = 1;
const ABORT = 2;
const POS = 0x7fffffff;
const CONTROL_BYTES = 16;
/** The worker re-checks its flags at least this often, and so does a writer waiting for room. */
const POLL_MS = 1000;
/**
 * The worker is woken once per this many bytes (and at the end), not per
 * chunk: a wake-up per 64 KiB chunk cost more CPU than the hash it moved.
 */
const WAKE_BYTES = 256 * 1024;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ctrl = new Int32Array(workerData, 0, 4);
const size = workerData.byteLength - ${CONTROL_BYTES};
const ring = new Uint8Array(workerData, ${CONTROL_BYTES}, size);
parentPort.on('message', (algorithm) => {
  const hash = createHash(algorithm);
  let read = 0;
  for (;;) {
    const seq = Atomics.load(ctrl, ${SEQ});
    let write = Atomics.load(ctrl, ${WRITE});
    while (read !== write) {
      const at = read & (size - 1);
      const n = Math.min((write - read) & ${POS}, size - at);
      hash.update(ring.subarray(at, at + n));
      read = (read + n) & ${POS};
      Atomics.store(ctrl, ${READ}, read);
      Atomics.notify(ctrl, ${READ});
      write = Atomics.load(ctrl, ${WRITE});
    }
    const flags = Atomics.load(ctrl, ${FLAGS});
    if (flags & ${ABORT}) return parentPort.postMessage({ aborted: true });
    if (flags & ${FINISH} && read === Atomics.load(ctrl, ${WRITE})) return parentPort.postMessage({ digest: hash.digest('hex') });
    Atomics.wait(ctrl, ${SEQ}, seq, ${POLL_MS});
  }
});
`;

type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** One worker and its ring; serves one hash at a time. */
class HashThread {
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly ring: Uint8Array;
  private settle: ((reply: { digest?: string; aborted?: boolean } | Error) => void) | undefined;
  dead: Error | undefined;

  constructor(ringBytes: number, onGone: (t: HashThread) => void) {
    const shared = new SharedArrayBuffer(CONTROL_BYTES + ringBytes);
    this.ctrl = new Int32Array(shared, 0, 4);
    this.ring = new Uint8Array(shared, CONTROL_BYTES, ringBytes);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: shared });
    // Idle workers never hold the process open.
    this.worker.unref();
    this.worker.on('message', (reply: { digest?: string; aborted?: boolean }) => this.settle?.(reply));
    const gone = (err: Error) => {
      if (this.dead) return;
      this.dead = err;
      onGone(this);
      // Wakes a writer waiting for room, and fails a digest being waited for.
      Atomics.notify(this.ctrl, READ);
      this.settle?.(err);
    };
    this.worker.on('error', (err) => gone(new HashFailure(`hash worker failed: ${err.message}`)));
    this.worker.on('exit', (code) => gone(new HashFailure(`hash worker exited (code ${code}) in the middle of a hash`)));
  }

  /** Starts a hash; `done` is called when the thread is free again (never after it died). */
  start(algorithm: string, done: () => void): Hasher {
    for (let i = 0; i < 4; i++) Atomics.store(this.ctrl, i, 0);
    let write = 0;
    let woken = 0;
    let over = false;
    const reply = new Promise<{ digest?: string; aborted?: boolean }>((resolve, reject) => {
      this.settle = (r) => {
        this.settle = undefined;
        if (r instanceof Error) return reject(r);
        if (!this.dead) done();
        resolve(r);
      };
    });
    reply.catch(() => {});
    this.worker.postMessage(algorithm);
    const size = this.ring.length;
    const signal = () => {
      Atomics.add(this.ctrl, SEQ, 1);
      Atomics.notify(this.ctrl, SEQ);
    };
    const update = (chunk: Buffer): Promise<void> | undefined => {
      if (this.dead) throw this.dead;
      // A wait for room that outlived its hash (abandoned) must not write into the next one's ring.
      if (over) return undefined;
      let offset = 0;
      while (offset < chunk.length) {
        const read = Atomics.load(this.ctrl, READ);
        const free = size - ((write - read) & POS);
        if (free === 0) {
          signal();
          return this.room(read).then(() => update(chunk.subarray(offset)));
        }
        const at = write & (size - 1);
        const n = Math.min(free, chunk.length - offset, size - at);
        this.ring.set(chunk.subarray(offset, offset + n), at);
        offset += n;
        write = (write + n) & POS;
        Atomics.store(this.ctrl, WRITE, write);
      }
      if (((write - woken) & POS) >= Math.min(WAKE_BYTES, size / 2)) {
        woken = write;
        signal();
      }
      return undefined;
    };
    const end = (flag: number) => {
      over = true;
      Atomics.or(this.ctrl, FLAGS, flag);
      signal();
    };
    return {
      update,
      digest: async () => {
        end(FINISH);
        const r = await reply;
        if (r.digest === undefined) throw new HashFailure('the hash was abandoned');
        return r.digest;
      },
      abort: () => {
        if (!over && !this.dead) end(ABORT);
      },
    };
  }

  /** Waits until the worker moved past `read` (or died). */
  private async room(read: number): Promise<void> {
    while (!this.dead && Atomics.load(this.ctrl, READ) === read) {
      const waited = waitAsync(this.ctrl, READ, read, POLL_MS);
      if (waited.async) await waited.value;
    }
    if (this.dead) throw this.dead;
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface HashPoolOptions {
  /** Worker threads at most; 0 hashes every blob on the main thread. */
  readonly workers: number;
  /** Blobs declared smaller than this are hashed inline: a worker would cost more than it saves. */
  readonly minBytes: number;
  /** Each worker's ring (a power of two). */
  readonly ringBytes?: number;
}

/**
 * A few hash workers, started on first use and kept. A blob that finds them
 * all busy is hashed inline, so concurrent pulls never wait for a worker.
 */
export class HashPool {
  private readonly idle: HashThread[] = [];
  private readonly all = new Set<HashThread>();
  /** Hashes started on a worker so far (the rest ran inline). */
  workerHashes = 0;

  constructor(private readonly options: HashPoolOptions) {}

  /** A hasher for `algorithm` (a node:crypto name) over a blob of `size` bytes (undefined when not declared). */
  hasher(algorithm: string, size: number | undefined): Hasher {
    if (size === undefined || size < this.options.minBytes) return inlineHasher(algorithm);
    let thread = this.idle.pop();
    if (!thread && this.all.size < this.options.workers) {
      thread = new HashThread(this.options.ringBytes ?? 4 * 1024 * 1024, (t) => this.forget(t));
      this.all.add(thread);
    }
    if (!thread) return inlineHasher(algorithm);
    const t = thread;
    this.workerHashes++;
    return t.start(algorithm, () => this.idle.push(t));
  }

  /** Stops every worker; a hash in progress fails. */
  async close(): Promise<void> {
    await Promise.all([...this.all].map((t) => t.stop()));
  }

  private forget(t: HashThread): void {
    this.all.delete(t);
    const i = this.idle.indexOf(t);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

export function inlineHasher(algorithm: string): Hasher {
  const hash = createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: async () => hash.digest('hex'),
    abort: () => {},
  };
}
