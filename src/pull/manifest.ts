// Manifests: GET bodies are read whole (bounded) and verified before a byte
// reaches the client; HEAD answers carry the same digest, type and length.
import { discard, header, type UpstreamResponse } from '../upstream/client.js';
import { readCapped } from '../upstream/read-capped.js';
import { UpstreamFailure, classifyStatus } from '../upstream/failure.js';
import type { AttemptRecord } from './attempts.js';
import type { Candidate, PullContext } from './context.js';
import { manifestDigest } from './verify.js';
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

export function fetchManifest(ctx: PullContext, candidates: readonly Candidate[], req: ManifestRequest, records: AttemptRecord[], signal: AbortSignal): Promise<WalkResult<Manifest>> {
  const what = { notFound: 'MANIFEST_UNKNOWN', description: `manifest ${req.reference}` } as const;
  return walk(ctx, candidates, records, what, async (c, attemptSignal) => {
    const path = `/v2/${c.target.repository}/manifests/${c.reference}`;
    if (req.method === 'HEAD') {
      const head = await ctx.client.request(c.target, 'HEAD', path, { accept: req.accept }, attemptSignal);
      const fromHead = checkedHead(head, req, ctx);
      if (fromHead) return fromHead;
    }
    const res = await ctx.client.request(c.target, 'GET', path, { accept: req.accept }, attemptSignal);
    ensureOk(res, ctx);
    const body = await readBytes(res, ctx.maxManifestBytes);
    const contentType = header(res.headers, 'content-type') ?? 'application/json';
    const digest = manifestDigest(body, contentType, isDigest(req.reference) ? req.reference : undefined);
    if (isDigest(req.reference) && digest !== req.reference) {
      throw new UpstreamFailure('digest_mismatch', `manifest digest ${digest} does not match ${req.reference}`);
    }
    return { contentType, length: body.length, digest, ...(req.method === 'GET' ? { body } : {}) };
  }, signal, { hedge: true });
}

/** A HEAD answer usable as is, or undefined when a GET must fill in what it lacks. */
function checkedHead(res: UpstreamResponse, req: ManifestRequest, ctx: PullContext): Manifest | undefined {
  discard(res.body);
  // Some registries refuse HEAD on manifests; containerd then asks with GET too.
  if (res.status === 405) return undefined;
  ensureOk(res, ctx);
  const digest = header(res.headers, 'docker-content-digest');
  const length = Number(header(res.headers, 'content-length'));
  const contentType = header(res.headers, 'content-type');
  if (isDigest(req.reference) && digest !== undefined && digest !== req.reference) {
    throw new UpstreamFailure('digest_mismatch', `HEAD reports digest ${digest}, not ${req.reference}`);
  }
  if (!Number.isFinite(length) || !contentType || (digest === undefined && !isDigest(req.reference))) return undefined;
  return { contentType, length, digest: isDigest(req.reference) ? req.reference : (digest as string) };
}

/** Throws the failure an answer other than 200 means (the upstream client classified error statuses). */
export function ensureOk(res: UpstreamResponse, _ctx: PullContext): void {
  if (res.status === 200) return;
  discard(res.body);
  throw res.failure ?? classifyStatus(res.status);
}

async function readBytes(res: UpstreamResponse, limit: number): Promise<Buffer> {
  const declared = Number(header(res.headers, 'content-length'));
  if (declared > limit) {
    discard(res.body);
    throw new UpstreamFailure('invalid', `manifest of ${declared} bytes is larger than the ${limit}-byte limit`, undefined, undefined, `manifest larger than the ${limit}-byte limit`);
  }
  return readCapped(res.body, limit);
}
