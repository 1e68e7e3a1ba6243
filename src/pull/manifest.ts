// Manifests: GET bodies are read whole (bounded) and verified before a byte
// reaches the client; HEAD answers carry the same digest, type and length.
import { OciError } from '../core/oci/errors.js';
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { type FailureKind, UpstreamFailure, classifyStatus, ownFailure } from '../upstream/failure.js';
import type { AttemptRecord } from './attempts.js';
import { withHeldBody } from './bounded-json.js';
import type { Candidate, PullContext } from './context.js';
import { effectiveType, isSchema1, manifestDigest } from './verify.js';
import { walk, type WalkResult } from './walk.js';

export interface Manifest {
  readonly contentType: string;
  readonly length: number;
  readonly digest: string;
  /** Absent for HEAD. */
  readonly body?: Buffer;
}

export interface ManifestRequest {
  readonly method: 'GET' | 'HEAD';
  /** The client's tag or digest. */
  readonly reference: string;
  readonly accept: string;
}

const isDigest = (reference: string) => reference.includes(':');

/** The attempt message of a schema-1 refusal; the walk's final error turns such refusals into MANIFEST_INVALID. */
const SCHEMA1_REFUSED = 'schema-1 manifest refused (deprecated; set upstream.allow_schema1 = true to serve it)';

export async function fetchManifest(ctx: PullContext, candidates: readonly Candidate[], req: ManifestRequest, records: AttemptRecord[], signal: AbortSignal): Promise<WalkResult<Manifest>> {
  const before = records.length;
  try {
    return await walkManifest(ctx, candidates, req, records, signal);
  } catch (err) {
    throw schema1Refusal(err, records.slice(before)) ?? err;
  }
}

/**
 * When the endpoints that answered all had only a schema-1 manifest, the
 * client is told so as distribution 3 tells it (registry/handlers/manifests.go:
 * ErrSchemaV1Unsupported -> MANIFEST_INVALID "Schema 1 manifest not supported"),
 * rather than a 502 that suggests a broken upstream.
 */
function schema1Refusal(err: unknown, records: readonly AttemptRecord[]): OciError | undefined {
  if (!(err instanceof OciError) || err.code !== 'BAD_GATEWAY') return undefined;
  const answered = records.filter((r) => !UNANSWERED.has(r.outcome));
  if (answered.length === 0 || !answered.every((r) => r.outcome === 'declined' && r.message === SCHEMA1_REFUSED)) return undefined;
  return new OciError('MANIFEST_INVALID', `schema 1 manifest not supported: ${SCHEMA1_REFUSED}`, err.detail);
}

const UNANSWERED: ReadonlySet<string> = new Set<FailureKind>(['refused', 'dns', 'timeout', 'tls', 'redirect', 'busy', 'circuit_open', 'aborted', 'not_found']);

function walkManifest(ctx: PullContext, candidates: readonly Candidate[], req: ManifestRequest, records: AttemptRecord[], signal: AbortSignal): Promise<WalkResult<Manifest>> {
  const what = { notFound: 'MANIFEST_UNKNOWN', description: `manifest ${req.reference}` } as const;
  return walk(ctx, candidates, records, what, async (c, attemptSignal) => {
    const path = `/v2/${c.target.repository}/manifests/${c.reference}`;
    if (req.method === 'HEAD') {
      const head = await ctx.client.request(c.target, 'HEAD', path, { accept: req.accept }, attemptSignal);
      const fromHead = checkedHead(head, req, ctx);
      if (fromHead) return fromHead;
    }
    const res = await ctx.client.request(c.target, 'GET', path, { accept: req.accept }, attemptSignal);
    ensureOk(res);
    const contentType = header(res.headers, 'content-type') ?? 'application/json';
    refuseSchema1(ctx, contentType, res.body);
    return withHeldBody(ctx.manifestBuffer, res, ctx.maxManifestBytes, 'manifest', attemptSignal, (body) => {
      const type = effectiveType(body, contentType);
      refuseSchema1(ctx, type);
      const digest = manifestDigest(body, type, isDigest(req.reference) ? req.reference : undefined);
      if (isDigest(req.reference) && digest !== req.reference) {
        throw new UpstreamFailure('digest_mismatch', `manifest digest ${digest} does not match ${req.reference}`);
      }
      return { contentType, length: body.length, digest, ...(req.method === 'GET' ? { body } : {}) };
    });
  }, signal, { hedge: true });
}

/** A HEAD answer usable as is, or undefined when a GET must fill in what it lacks. */
function checkedHead(res: UpstreamResponse, req: ManifestRequest, ctx: PullContext): Manifest | undefined {
  discard(res.body);
  // Some registries refuse HEAD on manifests; containerd then asks with GET too.
  if (res.status === 405) return undefined;
  ensureOk(res);
  const contentType = header(res.headers, 'content-type');
  refuseSchema1(ctx, contentType);
  const digest = header(res.headers, 'docker-content-digest');
  const length = Number(header(res.headers, 'content-length'));
  if (isDigest(req.reference) && digest !== undefined && digest !== req.reference) {
    throw new UpstreamFailure('digest_mismatch', `HEAD reports digest ${digest}, not ${req.reference}`);
  }
  if (!Number.isFinite(length) || !contentType || (digest === undefined && !isDigest(req.reference))) return undefined;
  return { contentType, length, digest: isDigest(req.reference) ? req.reference : (digest as string) };
}

/** Refuses a schema-1 answer unless allowed; `unread` is a body still to be drained. */
function refuseSchema1(ctx: PullContext, contentType: string | undefined, unread?: UpstreamResponse['body']): void {
  if (ctx.allowSchema1 || !isSchema1(contentType)) return;
  if (unread) discard(unread);
  throw ownFailure('declined', SCHEMA1_REFUSED);
}

/** Throws the failure an answer other than 200 means (the upstream client classified error statuses). */
export function ensureOk(res: UpstreamResponse): void {
  if (res.status === 200) return;
  discard(res.body);
  throw res.failure ?? classifyStatus(res.status);
}
