// A verified fetch sent straight to one client (no disk cache). A blob of up
// to `verifyBeforeServe` bytes is held in memory until it verified, so a
// wrong copy is replaced by the next endpoint's and the client never sees
// it; a larger one streams with only its last chunk held back. Every answer
// carries Content-Length, except a stream of unknown length to an HTTP/1.1
// client (chunked); an HTTP/1.0 client, which could not tell a cut body
// from a whole one, gets an error before the first byte instead. The bytes
// held over all requests are bounded by a shared gate.
import { OciError } from '../core/oci/errors.js';
import type { ByteGate } from '../pull/bounded-json.js';
import { UpstreamFailure } from '../upstream/failure.js';
import { HeldChunks, SMALL_CHUNK } from '../upstream/held-chunks.js';
import type { BlobOutput } from './output.js';
import type { VerifiedSink } from './verified-fetch.js';

/** Small chunks handed to clients' sockets that have not left the process yet, now and at most (tests read it). */
export const smallQueued = { now: 0, peak: 0 };

/**
 * Writes an upstream's chunk to a client; a promise when it must be waited
 * for. A small chunk is waited for until it left the process: the client's
 * socket queue is bounded in bytes, so an upstream that paces its body in
 * one-byte chunks would fill it with a Buffer object (~100 bytes of heap)
 * per byte for a client that does not read. Meanwhile the body reader packs
 * what arrives into slabs (upstream/body-flow.ts, HeldChunks), so the next
 * write is one large chunk: at most one small chunk waits per client.
 */
export function writeToClient(out: BlobOutput, chunk: Buffer): Promise<void> | undefined {
  if (chunk.length >= SMALL_CHUNK || !out.writeFlushed) return out.write(chunk);
  return counted(out.writeFlushed(chunk));
}

async function counted(flushed: Promise<void>): Promise<void> {
  smallQueued.peak = Math.max(smallQueued.peak, ++smallQueued.now);
  try {
    await flushed;
  } finally {
    smallQueued.now--;
  }
}

export class ClientSink implements VerifiedSink {
  private readonly held = new HeldChunks();
  private streaming = false;
  private size: number | undefined;
  private from = '';
  private release: (() => void) | undefined;
  /** Bytes sent to the client. */
  sent = 0;

  constructor(
    private readonly out: BlobOutput,
    private readonly verifyBeforeServe: number,
    private readonly canChunk: boolean,
    private readonly head: (size: number | undefined) => { status: number; headers: Record<string, string> },
    private readonly room: { readonly gate: ByteGate; readonly signal: AbortSignal },
  ) {}

  async begin(size: number | undefined, from: string): Promise<void> {
    this.from = from;
    this.held.take();
    this.size = size;
    if (size !== undefined && size > this.verifyBeforeServe) return this.startStreaming();
    this.close();
    try {
      this.release = await this.room.gate.acquire(size ?? this.verifyBeforeServe, this.room.signal);
    } catch (err) {
      if (err instanceof UpstreamFailure && err.kind === 'aborted') throw err;
      throw new OciError('UNAVAILABLE', 'too many blobs are being verified before serving: retry');
    }
  }

  /** Gives back the room held for verifying before serving. */
  close(): void {
    this.release?.();
    this.release = undefined;
  }

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.streaming) return this.send(chunk);
    this.held.push(chunk);
    if (this.held.bytes <= this.verifyBeforeServe) return undefined;
    // Larger than announced (or announced nothing): stream what is held, then the rest.
    this.startStreaming();
    return this.flush();
  }

  async finish(tail: Buffer | undefined, size: number): Promise<void> {
    if (!this.streaming) {
      this.size = size;
      this.startStreaming();
    }
    if (tail) this.held.push(tail);
    await this.flush();
    this.out.end();
  }

  async restart(): Promise<boolean> {
    if (this.streaming) return false;
    this.held.take();
    return true;
  }

  private startStreaming(): void {
    if (this.size === undefined && !this.canChunk) throw new OciError('BAD_GATEWAY', 'the upstream sent no length and an HTTP/1.0 client cannot tell a whole blob from a cut one');
    const { status, headers } = this.head(this.size);
    this.out.start(status, this.size === undefined ? headers : { ...headers, 'content-length': String(this.size) }, this.from);
    this.streaming = true;
  }

  private async flush(): Promise<void> {
    const chunks = this.held.take();
    this.close();
    for (const c of chunks) await this.send(c);
  }

  /** Counts the chunk as sent once the client's socket took it. */
  private send(chunk: Buffer): Promise<void> | undefined {
    const wait = writeToClient(this.out, chunk);
    if (!wait) {
      this.sent += chunk.length;
      return undefined;
    }
    return wait.then(() => void (this.sent += chunk.length));
  }

  /** Has the client's response begun? (Then it can only be broken, never restarted.) */
  get started(): boolean {
    return this.streaming;
  }
}
