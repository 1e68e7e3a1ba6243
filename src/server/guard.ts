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

/**
 * The request target as a URL, or undefined: Node's HTTP parser lets through
 * targets WHATWG URL rejects (`//x:99999/`, `//[`, `//%/`).
 */
export function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://client');
  } catch {
    return undefined;
  }
}
