// The one verified fetch of a whole blob, whoever receives it (a client
// directly, or the disk cache's fill). Bytes are hashed as they stream and
// the last chunk is held back until the digest matches. An upstream that
// breaks mid-body is resumed on the next endpoint with a Range request at
// the current offset; one that served wrong bytes counts against its health,
// is remembered for that digest, and the fetch starts over on the next
// endpoint when the sink can still take a fresh copy.
import { parseContentRange } from '../core/oci/range.js';
import { type BodyWait, consume, inTurn } from '../upstream/body-flow.js';
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { UpstreamFailure, classifyError, slowEndpoint } from '../upstream/failure.js';
import { type AttemptRecord, attemptOf } from '../pull/attempts.js';
import type { Candidate, PullContext } from '../pull/context.js';
import { ensureOk } from '../pull/manifest.js';
import { HashFailure } from '../pull/hash-worker.js';
import { StreamVerifier } from '../pull/verify.js';
import { walk } from '../pull/walk.js';
import type { BadCopies } from './bad-copies.js';

/** Where verified bytes go. */
export interface VerifiedSink {
  /** An upstream answered; `size` is its declared length, `from` its label. Throwing ends the fetch before any byte. */
  begin(size: number | undefined, from: string): Promise<void>;
  /** Bytes released by the verifier (never the last chunk before the digest matched); a promise when the sink must be waited for. */
  write(chunk: Buffer): Promise<void> | undefined;
  /** The whole content matched its digest; `tail` is the held-back last chunk. */
  finish(tail: Buffer | undefined, size: number): Promise<void>;
  /** The copy so far was wrong: may the fetch start over from byte 0? (false when bytes already left) */
  restart(): Promise<boolean>;
}

export const blobPath = (c: Candidate, digest: string) => `/v2/${c.target.repository}/blobs/${digest}`;
export const blobWhat = (digest: string) => ({ notFound: 'BLOB_UNKNOWN' as const, description: `blob ${digest}` });

/** Fetches `digest` into `sink`, verified; returns who served. Throws when no endpoint served a whole verified copy. */
export async function fetchVerified(ctx: PullContext, bad: BadCopies, candidates: readonly Candidate[], digest: string, sink: VerifiedSink, records: AttemptRecord[], signal: AbortSignal): Promise<string> {
  const verifiers: StreamVerifier[] = [];
  try {
    return await fetchInto(ctx, bad, candidates, digest, sink, records, signal, verifiers);
  } finally {
    // A hash left unfinished (a break, a client gone) frees its worker.
    for (const v of verifiers) v.close();
  }
}

async function fetchInto(ctx: PullContext, bad: BadCopies, candidates: readonly Candidate[], digest: string, sink: VerifiedSink, records: AttemptRecord[], signal: AbortSignal, verifiers: StreamVerifier[]): Promise<string> {
  let remaining = bad.without(candidates, digest);
  let verifier: StreamVerifier | undefined;
  let servedBy = '';
  let contributors: Candidate[] = [];
  while (true) {
    const offset = verifier?.received ?? 0;
    const opened = await walk(ctx, remaining, records, blobWhat(digest), (c, attemptSignal) => openAt(ctx, c, digest, offset, verifier?.expectedSize, attemptSignal), signal, { deferSuccess: true });
    remaining = remaining.slice(remaining.indexOf(opened.candidate) + 1);
    contributors.push(opened.candidate);
    servedBy = servedBy ? `${servedBy}, then ${opened.candidate.label} from byte ${offset}` : opened.candidate.label;
    if (!verifier) {
      verifier = new StreamVerifier(digest, opened.value.size, ctx.hashing);
      verifiers.push(verifier);
      try {
        await sink.begin(opened.value.size, opened.candidate.label);
      } catch (err) {
        // Refused on our side (an HTTP/1.0 client, no room): the endpoint did nothing wrong.
        ctx.health.success(opened.candidate.target.domain, opened.ms);
        discard(opened.value.res.body);
        throw err;
      }
    }
    const wait: BodyWait = { upstreamMs: 0 };
    const cut = await pump(ctx, opened.value.res, opened.value.skip, verifier, sink, wait);
    const broken = judgeBody(ctx, opened.candidate.target.domain, cut, opened.ms, wait.upstreamMs, signal.aborted);
    if (!broken) return servedBy;
    if (broken.kind === 'aborted' && signal.aborted) throw broken;
    records.push(attemptOf(opened.candidate, broken.kind, 0, { message: `${broken.message} after byte ${verifier.received}` }));
    if (broken.kind !== 'digest_mismatch') continue;
    // Which endpoint of a resumed copy was wrong is unknown: none of them serves this digest again.
    for (const c of contributors) bad.remember(c, digest);
    if (!(await sink.restart())) throw broken;
    remaining = bad.without(remaining, digest);
    verifier.close();
    verifier = undefined;
    contributors = [];
    servedBy = '';
  }
}

/** Opens the blob at `offset`: 200 from the start, or 206 from the offset (a 200 on resume is skipped forward). */
async function openAt(ctx: PullContext, c: Candidate, digest: string, offset: number, size: number | undefined, signal: AbortSignal) {
  const res = await ctx.client.request(c.target, 'GET', blobPath(c, digest), offset > 0 ? { range: `bytes=${offset}-` } : {}, signal);
  if (res.status === 206 && offset > 0) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset || (size !== undefined && (range.size !== size || range.end !== size - 1))) {
      discard(res.body);
      throw new UpstreamFailure('invalid', `resume answered Content-Range ${header(res.headers, 'content-range')}, expected bytes ${offset}-${size === undefined ? '' : `${size - 1}/${size}`}`);
    }
    return { res, skip: 0, size };
  }
  ensureOk(res);
  const declared = declaredLength(res);
  if (size !== undefined && declared !== undefined && declared !== size) {
    discard(res.body);
    throw new UpstreamFailure('invalid', `Content-Length ${declared} contradicts the ${size} bytes of the copy being resumed`);
  }
  return { res, skip: offset, size: size ?? declared };
}

/** A usable Content-Length, or undefined; a malformed one is a failure of that endpoint. */
export function declaredLength(res: UpstreamResponse): number | undefined {
  const text = header(res.headers, 'content-length');
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    discard(res.body);
    throw new UpstreamFailure('invalid', `malformed Content-Length ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number(text);
}

/**
 * Records how a body that started ended in its endpoint's health and returns
 * the failure to report (undefined when it ended well). A failure after the
 * stream started is the endpoint's like any other; one on our side (`ours`:
 * the request's signal aborted, our hash worker died) or a client that left
 * says nothing against it, unless it is a deadline cut this endpoint alone
 * took half the deadline for (failure.ts slowEndpoint).
 */
export function judgeBody(ctx: PullContext, domain: string, cut: UpstreamFailure | undefined, ms: number, upstreamMs: number, ours: boolean): UpstreamFailure | undefined {
  const tooSlow = cut && slowEndpoint(cut, ms + upstreamMs, ctx.pullDeadlineMs);
  const failure = tooSlow ?? cut;
  if (!failure || (!tooSlow && (failure.kind === 'aborted' || ours))) ctx.health.success(domain, ms);
  else ctx.health.failure(domain, failure.kind);
  return failure;
}

/** Copies a body through the verifier into the sink; returns the failure that broke it, or undefined when done. */
async function pump(ctx: PullContext, res: UpstreamResponse, skip: number, verifier: StreamVerifier, sink: VerifiedSink, wait: BodyWait): Promise<UpstreamFailure | undefined> {
  let toSkip = skip;
  try {
    await consume(res.body, ctx.stall, (raw) => {
      let chunk = raw;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, chunk.length);
        toSkip -= dropped;
        chunk = chunk.subarray(dropped);
        if (chunk.length === 0) return undefined;
      }
      const release = verifier.push(chunk);
      return inTurn(release && written(sink, release), verifier.pending);
    }, wait);
    const tail = await verifier.finish();
    await toSink(() => sink.finish(tail, verifier.received));
    return undefined;
  } catch (err) {
    discard(res.body);
    if (err instanceof SinkError) throw err.cause;
    // Our hash worker died: the fetch fails, and nothing is said against the endpoint.
    if (err instanceof HashFailure) throw err;
    return classifyError(err);
  }
}

/** A failure of the receiving side (client gone, disk full): not the endpoint's. */
class SinkError extends Error {}

async function toSink(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    throw new SinkError('sink failed', { cause: err });
  }
}

/** `sink.write` with its failures marked as the sink's; no promise when the sink took the chunk at once. */
function written(sink: VerifiedSink, chunk: Buffer): Promise<void> | undefined {
  let wait: Promise<void> | undefined;
  try {
    wait = sink.write(chunk);
  } catch (err) {
    throw new SinkError('sink failed', { cause: err });
  }
  return wait && toSink(() => wait);
}
