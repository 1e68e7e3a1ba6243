// A part of a blob, asked of an upstream when the disk cache is off. A part
// cannot be verified, so the answer is held to what was asked: a 206 must
// carry the Content-Range of the span requested (start, end and total,
// consistent with a size already verified), a 200 is cut by us at its length
// (or the verified size), or declined when it has neither. When the bytes served turn out to be the whole blob, they
// are verified like a full GET: a wrong mirror never yields a clean 206.
import { OciError } from '../core/oci/errors.js';
import { type ByteSpan, type RangeSpec, contentRange, parseContentRange, resolveRange } from '../core/oci/range.js';
import { type BodyWait, STOP, consume, inTurn } from '../upstream/body-flow.js';
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { UpstreamFailure, classifyError, ownFailure } from '../upstream/failure.js';
import { type AttemptRecord, attemptOf } from '../pull/attempts.js';
import type { Candidate, PullContext } from '../pull/context.js';
import { ensureOk } from '../pull/manifest.js';
import { HashFailure } from '../pull/hash-worker.js';
import { StreamVerifier } from '../pull/verify.js';
import { walk } from '../pull/walk.js';
import type { BadCopies } from './bad-copies.js';
import { writeToClient } from './client-sink.js';
import type { BlobOutput } from './output.js';
import { blobPath, blobWhat, declaredLength, judgeBody } from './verified-fetch.js';

const OCTET = 'application/octet-stream';

const rangeHeader = (range: RangeSpec): string => (range.kind === 'suffix' ? `bytes=-${range.length}` : range.kind === 'single' ? `bytes=${range.start}-${range.end ?? ''}` : '');

interface Answer {
  readonly res: UpstreamResponse;
  /** Bytes of the upstream body to drop before the span (a 200 that ignored Range). */
  readonly skip: number;
  readonly span: ByteSpan;
  readonly size: number;
}

export async function rangedBlob(ctx: PullContext, bad: BadCopies, candidates: readonly Candidate[], digest: string, range: RangeSpec, knownSize: number | undefined, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<{ servedBy: string; bytes: number }> {
  const asked = rangeHeader(range);
  const { value, candidate, ms } = await walk(ctx, bad.without(candidates, digest), records, blobWhat(digest), async (c, attemptSignal) => {
    const res = await ctx.client.request(c.target, 'GET', blobPath(c, digest), { range: asked }, attemptSignal);
    if (res.status === 416) {
      discard(res.body);
      return { unsatisfiable: parseUnsatisfied(header(res.headers, 'content-range')) };
    }
    return res.status === 206 ? checked206(res, range, knownSize) : checked200(res, ctx, range, knownSize);
  }, signal, { deferSuccess: true });
  const domain = candidate.target.domain;
  if ('unsatisfiable' in value) {
    ctx.health.success(domain, ms);
    const total = value.unsatisfiable;
    throw new OciError('RANGE_INVALID', `range ${asked} cannot be satisfied`, undefined, total === undefined ? {} : { 'content-range': `bytes */${total}` });
  }
  const { res, span, size, skip } = value;
  out.start(206, { 'content-range': contentRange(span, size), 'content-length': String(span.end - span.start + 1), 'docker-content-digest': digest, 'content-type': OCTET }, candidate.label);
  const whole = span.start === 0 && span.end === size - 1;
  const wait: BodyWait = { upstreamMs: 0 };
  const sent = { bytes: 0 };
  try {
    const bytes = await copy(ctx, res, skip, span.end - span.start + 1, whole ? new StreamVerifier(digest, size, ctx.hashing) : undefined, out, wait, sent);
    ctx.health.success(domain, ms);
    return { servedBy: candidate.label, bytes };
  } catch (err) {
    const failure = judgeBody(ctx, domain, classifyError(err), ms, wait.upstreamMs, signal.aborted || err instanceof HashFailure) as UpstreamFailure;
    if (failure.kind === 'digest_mismatch') bad.remember(candidate, digest);
    // Logged like a full GET's broken body (verified-fetch.ts), unless the request itself was what stopped it.
    if (!(failure.kind === 'aborted' && signal.aborted)) records.push(attemptOf(candidate, failure.kind, 0, { message: `${failure.message} after byte ${sent.bytes} of the span` }));
    out.destroy(failure);
    return { servedBy: candidate.label, bytes: 0 };
  }
}

function checked206(res: UpstreamResponse, range: RangeSpec, knownSize: number | undefined): Answer {
  const text = header(res.headers, 'content-range');
  const got = parseContentRange(text);
  const want = got?.size === undefined ? undefined : resolveRange(range, got.size);
  const length = declaredLength(res);
  const problem =
    got?.size === undefined ? `Content-Range ${JSON.stringify(text ?? '')} without a total`
    : knownSize !== undefined && got.size !== knownSize ? `Content-Range total ${got.size} contradicts the verified size ${knownSize}`
    : want === undefined || want.start !== got.start || want.end !== got.end ? `Content-Range ${text} is not the range ${rangeHeader(range)} asked`
    : length !== undefined && length !== got.end - got.start + 1 ? `Content-Length ${length} contradicts Content-Range ${text}`
    : undefined;
  if (problem !== undefined) {
    discard(res.body);
    throw new UpstreamFailure('invalid', problem);
  }
  return { res, skip: 0, span: want as ByteSpan, size: got?.size as number };
}

function checked200(res: UpstreamResponse, ctx: PullContext, range: RangeSpec, knownSize: number | undefined): Answer | { unsatisfiable: number } {
  ensureOk(res);
  const declared = declaredLength(res);
  if (declared !== undefined && knownSize !== undefined && declared !== knownSize) {
    discard(res.body);
    throw new UpstreamFailure('invalid', `Content-Length ${declared} contradicts the verified size ${knownSize}`);
  }
  const size = declared ?? knownSize;
  if (size === undefined) {
    // RFC 9110 §14.2 lets a server ignore Range, and a chunked whole blob is a correct answer: only the span
    // cannot be cut from it without a size. Declined, so the walk fails over and the endpoint's health is left alone.
    discard(res.body);
    throw ownFailure('declined', 'a 200 without Content-Length to a Range request: the span cannot be placed');
  }
  const span = resolveRange(range, size);
  if (!span) {
    discard(res.body);
    return { unsatisfiable: size };
  }
  return { res, skip: span.start, span, size };
}

const parseUnsatisfied = (text: string | undefined): number | undefined => {
  const m = text === undefined ? null : /^bytes \*\/(\d{1,15})$/.exec(text.trim());
  return m ? Number(m[1]) : undefined;
};

/** Copies `length` bytes after `skip`, through the verifier when the span is the whole blob, counting them in `progress`; throws on a break. */
async function copy(ctx: PullContext, res: UpstreamResponse, skip: number, length: number, verifier: StreamVerifier | undefined, out: BlobOutput, wait: BodyWait, progress: { bytes: number }): Promise<number> {
  let position = 0;
  try {
    await consume(res.body, ctx.stall, (chunk) => {
      const from = Math.max(0, skip - position);
      position += chunk.length;
      const part = chunk.subarray(from, Math.max(from, Math.min(chunk.length, from + (length - progress.bytes))));
      let written: Promise<void> | undefined;
      if (part.length > 0) {
        const release = verifier ? verifier.push(part) : part;
        written = inTurn(release && writeToClient(out, release), verifier?.pending);
        progress.bytes += part.length;
      }
      // The span is complete: whatever the upstream sends after it is not read.
      if (progress.bytes < length) return written;
      return written ? written.then(() => STOP) : STOP;
    }, wait);
    if (progress.bytes < length) throw new UpstreamFailure('refused', `upstream body ended after ${progress.bytes} of ${length} bytes`);
    const tail = await verifier?.finish();
    if (tail) await writeToClient(out, tail);
  } finally {
    discard(res.body);
    verifier?.close();
  }
  out.end();
  return progress.bytes;
}
