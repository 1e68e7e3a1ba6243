// What every listener's handler is made of: an async handler that can never
// leave a rejected promise behind (Node would end the process on it), and the
// one way a request target becomes a URL.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import { answerUnexpected } from './respond.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Whatever `handle` throws is logged and answered once: 500, or the socket cut when an answer had begun. */
export function guard(log: Logger, handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): Handler {
  return (req, res) => {
    handle(req, res).catch((err: unknown) => answerUnexpected(log, req.method, res, err));
  };
}

/** What a request target is read for: its path and its query. */
export type RequestTarget = Pick<URL, 'pathname' | 'searchParams'>;

/**
 * A target WHATWG URL would give back unchanged as its path: an absolute
 * path, not `//` (an authority), of characters URL neither percent-encodes
 * nor treats as separators (no `\`, `%`, `?`, `#`), and no `.` or `..`
 * segment (which URL removes). Registry clients send these; for them the
 * URL parse, a measurable part of a cached manifest request (issue 11), is
 * skipped. test/unit/fuzz/http-inputs.test.ts holds it to URL's answer.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~:@!$&'()*+,;=/]*$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

const ORIGIN = 'http://client';

/**
 * The request target as a URL, or undefined: Node's HTTP parser lets through
 * targets WHATWG URL rejects (`http://x:99999/`, `http://[/`, `http://%/`).
 * A target that begins with `/` is origin-form, an absolute path (RFC 9112
 * §3.2.1): read after the origin, so `//evil/v2/...` (or `/\evil/...`) is a
 * path that routes, and is logged, as sent. Read against a base it would be a
 * network-path reference (RFC 3986 §4.2) whose `evil` became the authority,
 * and the request served as `/v2/...` (red team).
 */
export function requestUrl(target: string | undefined): RequestTarget | undefined {
  if (target !== undefined && PLAIN_PATH.test(target) && !DOT_SEGMENT.test(target)) return { pathname: target, searchParams: new URLSearchParams() };
  try {
    return target?.startsWith('/') === true ? new URL(`${ORIGIN}${target}`) : new URL(target ?? '/', ORIGIN);
  } catch {
    return undefined;
  }
}
