// The one access line per request: what an operator greps for during an
// incident. Field names are stable; `attempts` lists every upstream attempt
// of the request (for a coalesced follower: those of the fetch it joined,
// with `coalesced: true`, since it made none of its own).
// Written without redaction (observability/logger.ts safeLineWriter): every
// field is one mirrorgate computed or bounded (no request header but the
// user agent, the path without its query, attempts as mirrorgate records
// them), so no credential can enter; test/integration/access-secrets.test.ts
// holds it to that.
import type { Finished } from './observe.js';

/** User agents are client-chosen: kept short. */
export const MAX_USER_AGENT = 256;

export function accessLine(done: Finished): Record<string, unknown> {
  const { summary: s } = done;
  const shared = done.records.length === 0 && s.sharedAttempts !== undefined && s.sharedAttempts.length > 0;
  // Fields added one by one, in this order, rather than spread: one line per request (issue 11).
  const line: Record<string, unknown> = {
    reqId: done.reqId,
    method: done.method,
    path: done.path,
    code: done.code,
    durationMs: Math.round(done.seconds * 1e4) / 10,
    bytes: done.bytes,
    client: done.client,
    userAgent: done.userAgent,
  };
  if (s.route) line.route = s.route;
  if (s.image) line.image = s.image;
  if (s.pullBy) line.pullBy = s.pullBy;
  if (s.planLength !== undefined) line.plan = s.planLength;
  line.attempts = shared ? s.sharedAttempts : done.records;
  if (shared) line.coalesced = true;
  if (s.servedBy) line.servedBy = s.servedBy;
  if (s.cache) line.cache = `${s.cache.kind} ${s.cache.result}`;
  if (s.denial) line.denial = s.denial;
  if (done.sendTimedOut) line.cut = 'send_timeout';
  return line;
}
