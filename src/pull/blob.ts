// Blobs stream through, never buffered whole. A full GET is verified while
// it streams (the last chunk is held until the digest matches) and, when an
// upstream breaks mid-body, resumes on the next endpoint with a Range request
// at the current offset, so the client sees one stream that still verifies.
// A client Range is passed upstream (partial content cannot be verified).
import { OciError } from '../core/oci/errors.js';
import { type RangeSpec, contentRange, parseContentRange, resolveRange } from '../core/oci/range.js';
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { UpstreamFailure, classifyError } from '../upstream/failure.js';
import { type AttemptRecord, attemptOf } from './attempts.js';
import type { Candidate, PullContext } from './context.js';
import { ensureOk } from './manifest.js';
import { StreamVerifier } from './verify.js';
import { walk } from './walk.js';

/** Where a blob response goes; the server adapts its ServerResponse to this. */
export interface BlobOutput {
  start(status: number, headers: Record<string, string>): void;
  /** Resolves when the chunk is accepted (backpressure). */
  write(chunk: Buffer): Promise<void>;
  end(): void;
  /** Breaks the response so the client never sees a clean end of wrong or partial bytes. */
  destroy(reason: Error): void;
}

export interface BlobRequest {
  readonly method: 'GET' | 'HEAD';
  readonly digest: string;
  readonly range: RangeSpec;
}

export interface BlobResult {
  readonly servedBy: string;
  readonly bytes: number;
}

const OCTET = 'application/octet-stream';
const blobPath = (c: Candidate, digest: string) => `/v2/${c.target.repository}/blobs/${digest}`;
const what = (digest: string) => ({ notFound: 'BLOB_UNKNOWN' as const, description: `blob ${digest}` });

export async function serveBlob(ctx: PullContext, candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
  if (req.method === 'HEAD') return headBlob(ctx, candidates, req.digest, out, records, signal);
  if (req.range.kind === 'single' || req.range.kind === 'suffix') return rangedBlob(ctx, candidates, req, out, records, signal);
  // No range, an unparsable one (ignored per RFC 9110) or a multi-range: the whole blob, verified.
  return fullBlob(ctx, candidates, req.digest, out, records, signal);
}

async function headBlob(ctx: PullContext, candidates: readonly Candidate[], digest: string, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
  const { value: length, candidate } = await walk(ctx, candidates, records, what(digest), async (c, attemptSignal) => {
    const res = await ctx.client.request(c.target, 'HEAD', blobPath(c, digest), {}, attemptSignal);
    discard(res.body);
    ensureOk(res, ctx);
    const size = header(res.headers, 'content-length');
    if (size === undefined) throw new UpstreamFailure('invalid', 'HEAD without Content-Length');
    return size;
  }, signal, { hedge: true });
  out.start(200, { 'content-length': length, 'docker-content-digest': digest, 'content-type': OCTET });
  out.end();
  return { servedBy: candidate.label, bytes: 0 };
}

async function fullBlob(ctx: PullContext, candidates: readonly Candidate[], digest: string, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
  let verifier: StreamVerifier | undefined;
  let remaining = [...candidates];
  let servedBy = '';
  while (true) {
    const offset = verifier?.received ?? 0;
    let opened;
    try {
      opened = await walk(ctx, remaining, records, what(digest), (c, attemptSignal) => openAt(ctx, c, digest, offset, verifier?.expectedSize, attemptSignal), signal, { deferSuccess: true });
    } catch (err) {
      if (!verifier) throw err;
      out.destroy(err as Error);
      return { servedBy, bytes: verifier.received };
    }
    remaining = remaining.slice(remaining.indexOf(opened.candidate) + 1);
    servedBy = servedBy ? `${servedBy}, then ${opened.candidate.label} from byte ${offset}` : opened.candidate.label;
    if (!verifier) {
      verifier = new StreamVerifier(digest, opened.value.size);
      const headers: Record<string, string> = { 'docker-content-digest': digest, 'content-type': OCTET };
      if (opened.value.size !== undefined) headers['content-length'] = String(opened.value.size);
      out.start(200, headers);
    }
    const broken = await pump(ctx, opened.value.res, opened.value.skip, verifier, out);
    const domain = opened.candidate.target.domain;
    // A failure after the stream started says as much about the endpoint as one before it;
    // a client that left (or ran out of time) says nothing against it.
    const clientSide = !broken || broken.kind === 'aborted' || signal.aborted;
    if (clientSide) ctx.health.success(domain, opened.ms);
    else ctx.health.failure(domain, broken.kind);
    if (!broken) return { servedBy, bytes: verifier.received };
    records.push(attemptOf(opened.candidate, broken.kind, 0, { message: `${broken.message} after byte ${verifier.received}` }));
    if (broken.kind === 'digest_mismatch' || broken.kind === 'aborted') {
      out.destroy(broken);
      return { servedBy, bytes: verifier.received };
    }
  }
}

/** Opens the blob at `offset`: 200 from the start, or 206 from the offset (a 200 on resume is skipped forward). */
async function openAt(ctx: PullContext, c: Candidate, digest: string, offset: number, size: number | undefined, signal: AbortSignal) {
  const res = await ctx.client.request(c.target, 'GET', blobPath(c, digest), offset > 0 ? { range: `bytes=${offset}-` } : {}, signal);
  if (res.status === 206 && offset > 0) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset || (size !== undefined && range.size !== undefined && range.size !== size)) {
      discard(res.body);
      throw new UpstreamFailure('invalid', `resume answered Content-Range ${header(res.headers, 'content-range')}, expected bytes ${offset}-`);
    }
    return { res, skip: 0, size };
  }
  ensureOk(res, ctx);
  const declared = header(res.headers, 'content-length');
  return { res, skip: offset, size: size ?? (declared === undefined ? undefined : Number(declared)) };
}

/** Copies a body through the verifier; returns the failure that broke it, or undefined when done. */
async function pump(ctx: PullContext, res: UpstreamResponse, skip: number, verifier: StreamVerifier, out: BlobOutput): Promise<UpstreamFailure | undefined> {
  let toSkip = skip;
  try {
    for await (const raw of ctx.stall.watch(res.body)) {
      let chunk = raw;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, chunk.length);
        toSkip -= dropped;
        chunk = chunk.subarray(dropped);
        if (chunk.length === 0) continue;
      }
      const release = verifier.push(chunk);
      if (release) await out.write(release);
    }
    const tail = verifier.finish();
    if (tail) await out.write(tail);
    out.end();
    return undefined;
  } catch (err) {
    discard(res.body);
    return classifyError(err);
  }
}

async function rangedBlob(ctx: PullContext, candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
  const rangeHeader = req.range.kind === 'suffix' ? `bytes=-${req.range.length}` : req.range.kind === 'single' ? `bytes=${req.range.start}-${req.range.end ?? ''}` : '';
  const { value, candidate } = await walk(ctx, candidates, records, what(req.digest), async (c, attemptSignal) => {
    const res = await ctx.client.request(c.target, 'GET', blobPath(c, req.digest), { range: rangeHeader }, attemptSignal);
    if (res.status === 416) {
      discard(res.body);
      return { res, unsatisfiable: header(res.headers, 'content-range') ?? 'bytes */*' };
    }
    if (res.status === 206 && header(res.headers, 'content-range') === undefined) {
      discard(res.body);
      throw new UpstreamFailure('invalid', '206 without Content-Range');
    }
    if (res.status !== 206) ensureOk(res, ctx);
    return { res, unsatisfiable: undefined };
  }, signal);
  if (value.unsatisfiable !== undefined) throw new OciError('RANGE_INVALID', `range ${rangeHeader} cannot be satisfied`, undefined, { 'content-range': value.unsatisfiable });
  const { res } = value;
  if (res.status === 206) {
    const length = header(res.headers, 'content-length');
    const headers: Record<string, string> = { 'content-range': header(res.headers, 'content-range') as string, 'docker-content-digest': req.digest, 'content-type': OCTET };
    if (length !== undefined) headers['content-length'] = length;
    out.start(206, headers);
    return { servedBy: candidate.label, bytes: await copy(ctx, res, 0, Number.POSITIVE_INFINITY, out) };
  }
  // The upstream ignored Range: cut the span out of the full body ourselves.
  const size = Number(header(res.headers, 'content-length'));
  const span = Number.isFinite(size) ? resolveRange(req.range, size) : undefined;
  if (!span) {
    discard(res.body);
    throw new OciError('RANGE_INVALID', `range ${rangeHeader} cannot be satisfied`, undefined, Number.isFinite(size) ? { 'content-range': `bytes */${size}` } : {});
  }
  out.start(206, { 'content-range': contentRange(span, size), 'content-length': String(span.end - span.start + 1), 'docker-content-digest': req.digest, 'content-type': OCTET });
  return { servedBy: candidate.label, bytes: await copy(ctx, res, span.start, span.end - span.start + 1, out) };
}

/** Copies `length` bytes starting at `skip`; a break mid-way breaks the client response. */
async function copy(ctx: PullContext, res: UpstreamResponse, skip: number, length: number, out: BlobOutput): Promise<number> {
  let position = 0;
  let sent = 0;
  try {
    for await (const chunk of ctx.stall.watch(res.body)) {
      const from = Math.max(0, skip - position);
      position += chunk.length;
      const part = chunk.subarray(from, Math.max(from, Math.min(chunk.length, from + (length - sent))));
      if (part.length > 0) {
        await out.write(part);
        sent += part.length;
      }
      if (sent >= length) break;
    }
    discard(res.body);
    out.end();
  } catch (err) {
    out.destroy(classifyError(err));
  }
  return sent;
}
