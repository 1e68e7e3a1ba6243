// `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date. A date is
// compared with the wall clock, never with a monotonic one; the wait that
// results is a duration the caller measures on its monotonic clock. Both are
// capped: one hostile 429 must not take an endpoint out for longer than the
// operator allows (upstream.max_retry_after_ms).

/** The wall clock, for HTTP dates: milliseconds since the epoch. */
export interface WallClock {
  now(): number;
}

export const systemWallClock: WallClock = { now: () => Date.now() };

// Longer headers are not a delta or an HTTP-date (IMF-fixdate is 29 characters, asctime 24).
const MAX_HEADER_LENGTH = 64;
const DELTA_RE = /^\d+$/;
// The three HTTP-date forms; Date.parse alone takes much more (RFC 9110 §5.6.7).
const DATE_RE = /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/** Milliseconds to wait, between 0 and `maxMs`; undefined when the header is absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, wallNowMs: number, maxMs: number): number | undefined {
  if (header === undefined || header === null) return undefined;
  const text = header.trim();
  if (text === '' || text.length > MAX_HEADER_LENGTH) return undefined;
  if (DELTA_RE.test(text)) return Math.min(maxMs, Number(text) * 1000);
  if (!DATE_RE.test(text)) return undefined;
  const at = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.min(maxMs, Math.max(0, at - wallNowMs));
}
