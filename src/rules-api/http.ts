// Reading requests and writing answers as the API server does: JSON bodies
// (indented with ?pretty=true), Status objects for errors, Warning headers
// (RFC 7234 §5.5 form "299 - \"text\"", as apiserver's warning recorder).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './status.js';

/** The API server's default limit on request bodies (3 MiB, apiserver MaxRequestBodyBytes). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const warningHeader = (text: string) => `299 - ${JSON.stringify(text)}`;

export function sendJson(res: ServerResponse, status: number, body: unknown, pretty: boolean, warnings: readonly string[] = []): void {
  const text = `${JSON.stringify(body, null, pretty ? 2 : undefined)}\n`;
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' };
  if (warnings.length > 0) headers.warning = warnings.map(warningHeader);
  res.writeHead(status, headers).end(text);
}

export function sendError(res: ServerResponse, err: ApiError, pretty = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.body, pretty);
}
