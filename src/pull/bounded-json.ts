// JSON from upstreams, parsed under bounds: a linear scan refuses deep
// nesting before JSON.parse builds it (a 4 MB `[[[[…` is two million nested
// arrays: hundreds of MB of heap, and a stack overflow in anything recursive
// afterwards, such as JSON.stringify), and a gate bounds the bytes of
// manifests held for parsing and verification at once.
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { UpstreamFailure, ownFailure } from '../upstream/failure.js';
import { readCapped } from '../upstream/read-capped.js';

/** Manifests nest a handful of levels (index > manifests > descriptor > annotations). */
const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/** The deepest nesting of arrays and objects in `bytes`, stopping early once it passes `limit`. */
export function jsonDepth(bytes: Uint8Array, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (OPENERS.has(b)) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (CLOSERS.has(b)) depth--;
  }
  return deepest;
}

/** The end (exclusive) of the array or object opening at `start`; -1 when it does not close. */
export function containerEnd(bytes: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (OPENERS.has(b)) depth++;
    else if (CLOSERS.has(b) && --depth === 0) return i + 1;
  }
  return -1;
}

// mirrorgate's own words, so the client may read them too (failure.ts).

/**
 * JSON.parse of an upstream body. Nesting past our bound is `declined` (a
 * property of the content, which anyone may publish); bad syntax is `invalid`
 * (registries validate manifests on push, so it is the endpoint that broke).
 */
export function parseUpstreamJson(bytes: Uint8Array, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(bytes, maxDepth) > maxDepth) throw ownFailure('declined', `${what} nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown;
  } catch {
    throw ownFailure('invalid', `${what} is not valid JSON`);
  }
}

/**
 * A semaphore counted in bytes. A reservation is taken whole before a body
 * is read (never grown while reading, so holders cannot deadlock each other)
 * and waits for room, up to `maxWaitMs` or until `signal` aborts.
 */
export class ByteGate {
  private used = 0;
  /** The most bytes ever held at once (for tests and metrics). */
  peak = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaitMs: number,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Resolves to a release function once `bytes` (capped at the capacity) fit. */
  async acquire(bytes: number, signal: AbortSignal): Promise<() => void> {
    const n = Math.min(Math.max(0, bytes), this.capacity);
    if (this.waiting.length === 0 && this.used + n <= this.capacity) {
      this.take(n);
      return this.releaser(n);
    }
    await new Promise<void>((resolve, reject) => {
      const entry = { bytes: n, grant: () => (cleanup(), resolve()) };
      const fail = (failure: UpstreamFailure) => {
        cleanup();
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        this.drain();
        reject(failure);
      };
      // Our own congestion, not the endpoint's: `busy` leaves its health alone and tells the client to retry (429).
      const timer = setTimeout(() => fail(ownFailure('busy', `waited ${this.maxWaitMs} ms for room to buffer a manifest`)), this.maxWaitMs);
      const onAbort = () => fail(new UpstreamFailure('aborted', 'request aborted'));
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      this.waiting.push(entry);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser(n);
  }

  private take(n: number): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
  }

  private releaser(n: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= n;
      this.drain();
    };
  }

  /** Grants waiters in arrival order while they fit, taking their bytes at once. */
  private drain(): void {
    while (this.waiting.length > 0 && this.used + (this.waiting[0] as { bytes: number }).bytes <= this.capacity) {
      const next = this.waiting.shift() as { bytes: number; grant: () => void };
      this.take(next.bytes);
      next.grant();
    }
  }
}

/**
 * Reads a body whole under `gate` (reserving its declared length, or `limit`
 * when none is declared) and hands it to `use` before the room is released:
 * parsing and verification happen inside the bound.
 */
export async function withHeldBody<T>(gate: ByteGate, res: UpstreamResponse, limit: number, what: string, signal: AbortSignal, use: (body: Buffer) => T): Promise<T> {
  const text = header(res.headers, 'content-length');
  const declared = Number(text);
  if (declared > limit) {
    discard(res.body);
    // The declared size is the upstream's word: the log has it, the client only mirrorgate's limit.
    throw new UpstreamFailure('declined', `${what} of ${declared} bytes is larger than the ${limit}-byte limit`, undefined, undefined, `${what} larger than the ${limit}-byte limit`);
  }
  const release = await gate.acquire(text !== undefined && Number.isSafeInteger(declared) && declared >= 0 ? declared : limit, signal);
  try {
    return use(await readCapped(res.body, limit));
  } finally {
    release();
  }
}
