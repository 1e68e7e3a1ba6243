// Writing responses: the one place that turns an error into the OCI envelope.
import type { ServerResponse } from 'node:http';
import { OciError } from '../core/oci/errors.js';
import type { BlobOutput } from '../store/output.js';
import type { Logger } from '../observability/logger.js';
import { UpstreamFailure } from '../upstream/failure.js';
import { type SendTimeout, largestWrite, writeAllWithin, writeFlushedWithin, writeWithin } from './send-timeout.js';
import { writeHead } from './answer-head.js';

export const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' } as const;

export function toOciError(err: unknown): OciError {
  if (err instanceof OciError) return err;
  if (err instanceof UpstreamFailure && err.kind === 'aborted') return new OciError('UNKNOWN', 'client went away');
  return new OciError('UNKNOWN', 'internal error');
}

/** JSON error envelope with the code's status; no body for HEAD (spec: HEAD carries none). */
export function writeError(res: ServerResponse, error: OciError, method: string): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = error.body();
  writeHead(res, error.status, API_VERSION, error.headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * The last resort for an error that escaped the request wrapper itself: one
 * 500, or the socket cut when an answer had begun. Never throws, so the
 * promise it settles never rejects and the process stays up.
 */
export function answerUnexpected(log: Logger, method: string | undefined, res: ServerResponse, err: unknown): void {
  try {
    log.error({ err }, 'request handler failed');
    writeError(res, toOciError(undefined), method ?? 'GET');
  } catch {
    res.destroy();
  }
}

export function writeJson(res: ServerResponse, method: string, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): number {
  const text = Buffer.from(JSON.stringify(body));
  return writeBytes(res, method, 200, text, { ...headers, 'content-type': contentType });
}

/**
 * A whole body with its length, none for HEAD; returns the bytes sent. A HEAD
 * answered from upstream knows only the length, so `body` may be absent then.
 */
export function writeBytes(res: ServerResponse, method: string, status: number, body: Buffer | undefined, headers: Record<string, string>, length = body?.length ?? 0): number {
  writeHead(res, status, API_VERSION, headers, { 'content-length': length });
  res.end(method === 'HEAD' ? undefined : body);
  return method === 'HEAD' ? 0 : length;
}

/** Adapts a ServerResponse to the blob streamer, with backpressure, the send timeout and abort. */
export function blobOutput(res: ServerResponse, extraHeaders: Record<string, string>, sendTimeout: SendTimeout): BlobOutput {
  return {
    start: (status, headers) => writeHead(res, status, API_VERSION, extraHeaders, headers),
    write: (chunk) => writeWithin(res, chunk, sendTimeout),
    writeAll: (chunks) => writeAllWithin(res, chunks, sendTimeout),
    writeFlushed: (chunk) => writeFlushedWithin(res, chunk, sendTimeout),
    largestWrite: largestWrite(res),
    owned: () => (res.socket ? undefined : new Promise((resolve) => res.once('socket', () => resolve()))),
    end: () => res.end(),
    destroy: (reason) => res.destroy(reason),
  };
}
