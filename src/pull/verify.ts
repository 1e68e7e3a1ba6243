// Digest checks, so that a mirror can never serve wrong content.
import { createHash } from 'node:crypto';
import { MEDIA_TYPES } from '../core/oci/accept.js';
import { UpstreamFailure } from '../upstream/failure.js';
import { parseUpstreamJson } from './bounded-json.js';
import { type HashPool, type Hasher, inlineHasher } from './hash-worker.js';
import { schema1Payload } from './schema1.js';

const ALGORITHMS: Readonly<Record<string, string>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

export const digestOf = (algorithm: string, bytes: Uint8Array): string => `${algorithm}:${createHash(ALGORITHMS[algorithm] ?? 'sha256').update(bytes).digest('hex')}`;

/** Whether a Content-Type names a schema-1 manifest, signed or not (deprecated; refused unless allowed). */
export function isSchema1(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === MEDIA_TYPES.dockerSchema1Signed || type === MEDIA_TYPES.dockerSchema1;
}

const mediaType = (contentType: string | undefined) => contentType?.split(';')[0]?.trim().toLowerCase();

/** Types under which clients take a manifest for schema 1 (containers/image manifest.NormalizedMIMEType). */
const GENERIC_TYPES = new Set(['application/json', 'text/plain', '']);

/**
 * The type a manifest body really has. A schema-1 body served as plain JSON
 * is schema 1: containers/image reads `application/json` (and unknown types)
 * as a signed schema-1 manifest, so it must be refused or verified as one.
 */
export function effectiveType(body: Buffer, contentType: string): string {
  if (!GENERIC_TYPES.has(mediaType(contentType) ?? '')) return contentType;
  let doc: unknown;
  try {
    doc = parseUpstreamJson(body, 'manifest');
  } catch {
    return contentType; // not JSON, or too deep: not schema 1, and not parsed further here
  }
  const manifest = doc as { schemaVersion?: unknown; signatures?: unknown } | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.schemaVersion !== 1) return contentType;
  return manifest.signatures === undefined ? MEDIA_TYPES.dockerSchema1 : MEDIA_TYPES.dockerSchema1Signed;
}

/** The bytes a manifest digest covers: the body, or for a signed schema-1 body its payload (see schema1.ts). */
export function digestedBytes(body: Buffer, contentType: string | undefined): Buffer {
  return mediaType(contentType) === MEDIA_TYPES.dockerSchema1Signed ? schema1Payload(body) : body;
}

/** The digest of a manifest as served, in the algorithm of `like` (sha256 for tags). */
export function manifestDigest(body: Buffer, contentType: string | undefined, like = 'sha256:'): string {
  return digestOf(like.split(':')[0] ?? 'sha256', digestedBytes(body, contentType));
}

/**
 * Hashes a blob as it streams and holds back the latest chunk, so the last
 * bytes reach the client only once the whole content matched its digest.
 * The hash runs inline, or on a worker thread when a pool is given and the
 * blob is large (hash-worker.ts); either way `finish` is the only way to the
 * held chunk.
 */
export class StreamVerifier {
  private readonly hasher: Hasher;
  private held: Buffer | undefined;
  private done = false;
  received = 0;
  /** Set by `push` when the hasher is full: wait for it before the next push. */
  pending: Promise<void> | undefined;

  constructor(
    readonly expected: string,
    readonly expectedSize?: number,
    pool?: HashPool,
  ) {
    const algorithm = ALGORITHMS[expected.split(':')[0] ?? ''] ?? 'sha256';
    this.hasher = pool ? pool.hasher(algorithm, expectedSize) : inlineHasher(algorithm);
  }

  /** Takes a chunk, returns what may be released now. */
  push(chunk: Buffer): Buffer | undefined {
    this.received += chunk.length;
    if (this.expectedSize !== undefined && this.received > this.expectedSize) {
      throw new UpstreamFailure('digest_mismatch', `blob is longer than its ${this.expectedSize} bytes`);
    }
    this.pending = this.hasher.update(chunk);
    // Awaited by the copy; when the copy has already failed, nobody else will.
    this.pending?.catch(() => {});
    const release = this.held;
    this.held = chunk;
    return release;
  }

  /** The held tail when the content matches; throws otherwise. */
  async finish(): Promise<Buffer | undefined> {
    if (this.expectedSize !== undefined && this.received !== this.expectedSize) {
      throw new UpstreamFailure('digest_mismatch', `blob ended after ${this.received} of ${this.expectedSize} bytes`);
    }
    if (this.pending) await this.pending;
    this.done = true;
    const actual = `${this.expected.split(':')[0]}:${await this.hasher.digest()}`;
    if (actual !== this.expected) throw new UpstreamFailure('digest_mismatch', `content digest ${actual} does not match ${this.expected}`);
    return this.held;
  }

  /** Lets go of the hasher when the copy ended without `finish` (a break, a client gone). */
  close(): void {
    if (!this.done) this.hasher.abort();
    this.done = true;
  }
}
