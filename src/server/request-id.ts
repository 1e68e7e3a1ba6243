// The id a request is known by in logs and in the X-Request-Id answer
// header. A client's own id is kept so its logs and ours join up, but it is
// hostile input: only a short token of safe characters is kept (enough for
// UUIDs, W3C trace ids and AWS `Root=1-…;Parent=…` forms); anything else,
// or none, gets a fresh UUID.
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE = /^[A-Za-z0-9._:;=+/@-]{1,128}$/;

export function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE.test(header) ? header : randomUUID();
}
