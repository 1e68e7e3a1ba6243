// Blobs through the content store. With the disk cache: a cached blob is
// sent from its file (full, any Range, HEAD) without upstream contact; a
// missing one is filled once per walk, whoever asks through the same
// endpoints meanwhile reading the growing file. Without it: the whole blob streams verified to the client, and a
// part is asked upstream under strict checks. Either way a wrong copy is
// never served whole and clean, and its endpoint is left out for that
// digest afterwards.
import { LRUCache } from 'lru-cache';
import { OciError } from '../core/oci/errors.js';
import { type ByteSpan, type RangeSpec, contentRange, resolveRange } from '../core/oci/range.js';
import { discard, header } from '../upstream/client.js';
import { UpstreamFailure } from '../upstream/failure.js';
import type { AttemptRecord } from '../pull/attempts.js';
import type { ByteGate } from '../pull/bounded-json.js';
import type { Candidate, PullContext } from '../pull/context.js';
import { ensureOk } from '../pull/manifest.js';
import { walk } from '../pull/walk.js';
import type { BadCopies } from './bad-copies.js';
import { ClientSink } from './client-sink.js';
import type { BlobDisk } from './disk.js';
import type { FileBuffers } from './file-buffers.js';
import { BlobFill, LIVE_WINDOW_BYTES, UNWRITTEN_BYTES } from './fill.js';
import type { FillMemory } from './fill-memory.js';
import type { BlobOutput } from './output.js';
import { rangedBlob } from './ranged.js';
import { walkKey } from './scope.js';
import { FillWait, sendFile, sendGrowing } from './read-file.js';
import { SingleFlight } from '../upstream/single-flight.js';
import { blobPath, blobWhat, declaredLength, fetchVerified } from './verified-fetch.js';

export interface BlobRequest {
  readonly method: 'GET' | 'HEAD';
  readonly digest: string;
  readonly range: RangeSpec;
  /** The client speaks HTTP/1.1 (a body of unknown length can be chunked). */
  readonly canChunk: boolean;
}

export interface BlobResult {
  readonly servedBy: string;
  readonly bytes: number;
  readonly cache?: 'hit' | 'miss' | 'coalesced';
  /** The attempts of the fill this request joined. */
  readonly shared?: readonly AttemptRecord[];
}

/** What the blob store reports, for metrics. */
export interface BlobEvents {
  fill(result: 'ok' | 'failed'): void;
  sent(source: 'cache' | 'upstream', bytes: number): void;
}

const OCTET = 'application/octet-stream';
const CACHE = 'cache';

export class BlobStore {
  private readonly flights = new SingleFlight();
  private readonly fills = new Map<string, BlobFill>();
  /** Sizes of blobs verified whole, to hold later HEAD and Range answers to them. */
  private readonly sizes = new LRUCache<string, number>({ max: 100_000 });

  constructor(
    private readonly ctx: PullContext,
    private readonly bad: BadCopies,
    private readonly disk: BlobDisk | undefined,
    private readonly verifyBeforeServe: number,
    private readonly events: BlobEvents,
    /** Bounds the bytes held in memory by blobs verified before serving (without the disk cache). */
    private readonly held: ByteGate,
    /** Bounds the bytes all disk-cache fills hold in memory together. */
    private readonly fillMemory: FillMemory,
    /** The read buffers cached files are sent through, bounded over all responses. */
    private readonly buffers: FileBuffers,
  ) {}

  async serve(candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
    const { digest } = req;
    // Looked up in the same tick as the disk index: a fill leaves `fills` only once its file is indexed.
    const verified = this.verifiedFill(digest);
    if (verified) {
      verified.attach();
      try {
        return await this.local(req, verified.size as number, out, (span) => sendGrowing(verified, verified.generation, span, out, signal, this.buffers));
      } finally {
        verified.detach();
      }
    }
    const cached = await this.disk?.read(digest);
    if (cached) {
      try {
        return await this.local(req, cached.size, out, (span) => sendFile(cached.handle, span, out, signal, this.buffers));
      } finally {
        await cached.handle.close();
      }
    }
    const known = this.sizes.get(digest);
    refuseInvalid(req.range, known);
    if (req.method === 'HEAD') return this.head(candidates, digest, out, records, signal);
    if (this.disk) return this.fromFill(this.disk, candidates, req, out, records, signal);
    if (isWhole(req.range, known)) return this.direct(candidates, req, out, records, signal);
    const part = await rangedBlob(this.ctx, this.bad, candidates, digest, req.range, known, out, records, signal);
    this.events.sent('upstream', part.bytes);
    return part;
  }

  /** Answers from verified local bytes: a cached file, or a fill whose copy verified and is being committed. */
  private async local(req: BlobRequest, size: number, out: BlobOutput, send: (span: ByteSpan) => Promise<number>): Promise<BlobResult> {
    refuseInvalid(req.range, size);
    const span = spanOf(req.range, size);
    out.start(statusOf(req.range), headersOf(req.digest, req.range, span, size), CACHE);
    const bytes = req.method === 'HEAD' ? (out.end(), 0) : await send(span);
    this.events.sent('cache', bytes);
    return { servedBy: CACHE, bytes, cache: 'hit' };
  }

  /** A fill of `digest` whose copy verified (its bytes may all be sent while its file is fsynced and named). */
  private verifiedFill(digest: string): BlobFill | undefined {
    for (const fill of this.fills.values()) if (fill.digest === digest && fill.verified) return fill;
    return undefined;
  }

  /** HEAD from upstream: the digest answered must be the one asked, the length the one verified. */
  private async head(candidates: readonly Candidate[], digest: string, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
    const known = this.sizes.get(digest);
    const { value: size, candidate } = await walk(this.ctx, this.bad.without(candidates, digest), records, blobWhat(digest), async (c, attemptSignal) => {
      const res = await this.ctx.client.request(c.target, 'HEAD', blobPath(c, digest), {}, attemptSignal);
      discard(res.body);
      ensureOk(res);
      const answered = header(res.headers, 'docker-content-digest');
      if (answered !== undefined && answered !== digest) throw new UpstreamFailure('digest_mismatch', `HEAD reports digest ${answered.slice(0, 80)}, not ${digest}`);
      const length = declaredLength(res);
      if (length === undefined) throw new UpstreamFailure('invalid', 'HEAD without Content-Length');
      if (known !== undefined && length !== known) throw new UpstreamFailure('invalid', `HEAD length ${length} contradicts the verified size ${known}`);
      return length;
    }, signal, { hedge: true });
    out.start(200, { 'content-length': String(size), 'docker-content-digest': digest, 'content-type': OCTET }, candidate.label);
    out.end();
    return { servedBy: candidate.label, bytes: 0 };
  }

  /** The whole blob (or a Range covering it), verified, straight to the client. */
  private async direct(candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
    const sink = new ClientSink(out, this.verifyBeforeServe, req.canChunk, (size) => {
      const span = size === undefined ? undefined : spanOf(req.range, size);
      // A Range answer needs the total; unknown, the whole blob is answered with 200 (RFC 9110 allows ignoring Range).
      const ranged = size !== undefined && statusOf(req.range) === 206;
      return { status: ranged ? 206 : 200, headers: headersOf(req.digest, ranged ? req.range : { kind: 'none' }, span, size) };
    }, { gate: this.held, signal });
    try {
      const servedBy = await fetchVerified(this.ctx, this.bad, candidates, req.digest, sink, records, signal);
      this.remember(req.digest, sink.sent);
      return { servedBy, bytes: sink.sent };
    } catch (err) {
      if (!sink.started) throw err;
      out.destroy(err as Error);
      return { servedBy: '', bytes: sink.sent };
    } finally {
      sink.close();
      this.events.sent('upstream', sink.sent);
    }
  }

  private async fromFill(disk: BlobDisk, candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
    // Shared only by requests walking the same endpoints: a request joining
    // another's walk would inherit its failure (a registry without the blob,
    // a slow one) without its own endpoints ever being tried.
    const key = `${req.digest} ${walkKey(candidates)}`;
    const flight = this.flights.run(key, signal, records, (shared) => {
      const fill = new BlobFill(disk, req.digest, this.verifyBeforeServe, LIVE_WINDOW_BYTES, UNWRITTEN_BYTES, this.fillMemory);
      this.fills.set(key, fill);
      return fetchVerified(this.ctx, this.bad, candidates, req.digest, fill, records, shared).then(
        (servedBy) => {
          this.remember(req.digest, fill.size as number);
          this.events.fill('ok');
          return servedBy;
        },
        (err: unknown) => {
          fill.fail(err as Error);
          this.events.fill('failed');
          throw err;
        },
      );
    });
    // This request's wait for the fill's outcome: over when the fill ended, or when this request's own signal aborted.
    const settled = flight.promise.then(() => undefined, () => undefined);
    const fill = this.fills.get(key) as BlobFill;
    // Once the flight is over nobody can join this fill: forget it, and let it close its file with its last reader.
    if (!flight.joined) {
      void flight.done.then(() => {
        if (this.fills.get(key) === fill) this.fills.delete(key);
        fill.seal();
      });
    }
    fill.attach();
    let started = false;
    try {
      await untilReadable(fill, signal);
      const generation = fill.generation;
      const size = fill.size as number;
      const span = spanOf(req.range, size);
      out.start(statusOf(req.range), headersOf(req.digest, req.range, span, size), fill.from);
      started = true;
      const bytes = await sendGrowing(fill, generation, span, out, signal, this.buffers);
      this.events.sent('upstream', bytes);
      await settled;
      return { servedBy: fill.from, bytes, cache: flight.joined ? 'coalesced' : 'miss', ...(flight.joined ? { shared: flight.shared } : {}) };
    } catch (err) {
      await settled;
      if (!started) throw err;
      out.destroy(err as Error);
      return { servedBy: fill.from, bytes: 0, cache: flight.joined ? 'coalesced' : 'miss', ...(flight.joined ? { shared: flight.shared } : {}) };
    } finally {
      fill.detach();
    }
  }

  private remember(digest: string, size: number): void {
    this.sizes.set(digest, size);
  }
}

/** Waits until the fill's bytes may be sent: verified whole, or (large) streaming with its size known. */
async function untilReadable(fill: BlobFill, signal: AbortSignal): Promise<void> {
  const wait = new FillWait(fill, signal);
  try {
    while (!fill.streamable) {
      if (fill.state === 'failed') throw fill.error;
      if (signal.aborted) throw new UpstreamFailure('aborted', 'client went away');
      await wait.next();
    }
  } finally {
    wait.close();
  }
}

/**
 * Ranges mirrorgate answers itself (RFC 9110 §14.1.2): a first position past
 * any blob size, or a zero-length suffix, is unsatisfiable; it is never
 * forwarded.
 */
function refuseInvalid(range: RangeSpec, size: number | undefined): void {
  const unsatisfiable = range.kind === 'unsatisfiable' || (range.kind === 'single' && size !== undefined && range.start >= size) || (range.kind === 'suffix' && range.length === 0);
  if (unsatisfiable) throw new OciError('RANGE_INVALID', 'the range asked cannot be satisfied', undefined, size === undefined ? {} : { 'content-range': `bytes */${size}` });
}

/** Does the client want the whole blob (with or without a Range that covers it)? */
function isWhole(range: RangeSpec, size: number | undefined): boolean {
  if (range.kind === 'single') return range.start === 0 && (range.end === undefined || (size !== undefined && range.end >= size - 1));
  if (range.kind === 'suffix') return size !== undefined && range.length >= size;
  return true;
}

const statusOf = (range: RangeSpec): 200 | 206 => (range.kind === 'single' || range.kind === 'suffix' ? 206 : 200);

function spanOf(range: RangeSpec, size: number): ByteSpan {
  const span = resolveRange(range, size);
  if (!span) throw new OciError('RANGE_INVALID', 'the range asked cannot be satisfied', undefined, { 'content-range': `bytes */${size}` });
  return span;
}

function headersOf(digest: string, range: RangeSpec, span: ByteSpan | undefined, size: number | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'docker-content-digest': digest, 'content-type': OCTET };
  if (span !== undefined && size !== undefined) headers['content-length'] = String(span.end - span.start + 1);
  if (statusOf(range) === 206 && span !== undefined && size !== undefined) headers['content-range'] = contentRange(span, size);
  return headers;
}
