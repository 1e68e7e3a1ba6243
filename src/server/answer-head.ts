// Every answer's status line and headers, written by one writeHead that also
// carries the request's X-Request-Id. The id is not set with res.setHeader at
// arrival: one header set that way sends every later writeHead down Node's
// merging path (each header through setHeader into a header map, which is
// then serialised), where a writeHead given all its headers at once
// serialises them directly (issue 11: a cached manifest request's CPU).
// The answer also remembers the length it declared, which Node's fast path
// does not keep where getHeader could read it, for the access line's bytes.
import type { ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER } from './request-id.js';

const ID = Symbol('mirrorgate.requestId');
const DECLARED = Symbol('mirrorgate.declaredLength');

interface Tagged extends ServerResponse {
  [ID]?: string;
  [DECLARED]?: number;
}

export type HeadFields = Readonly<Record<string, string | number>>;

/** The id every later `writeHead` of this answer sends as X-Request-Id. */
export function tagAnswer(res: ServerResponse, reqId: string): void {
  (res as Tagged)[ID] = reqId;
}

/**
 * Status and headers in one call, with the request id when the answer has
 * one; returns `res`. The headers come in groups, later ones adding to
 * earlier ones, so callers need not merge objects first (V8 spreads a header
 * object with a configured name, such as the served-by header, slowly).
 */
export function writeHead(res: ServerResponse, status: number, ...groups: HeadFields[]): ServerResponse {
  const tagged = res as Tagged;
  // A flat [name, value, …] list: Node takes it as is, and the id joins it without copying any group.
  const flat: (string | number)[] = [];
  for (const headers of groups) {
    for (const name in headers) flat.push(name, headers[name] as string | number);
    const length = headers['content-length'];
    if (length !== undefined) tagged[DECLARED] = Number(length);
  }
  const id = tagged[ID];
  if (id !== undefined) flat.push(REQUEST_ID_HEADER, id);
  return res.writeHead(status, flat);
}

/** The Content-Length this answer declared through `writeHead`, or 0. */
export function declaredLength(res: ServerResponse): number {
  const length = (res as Tagged)[DECLARED] ?? 0;
  return Number.isFinite(length) ? length : 0;
}
