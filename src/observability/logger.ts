// One root pino logger, built in the composition root and passed down.
// Credentials never reach the log: the root logger redacts the fields that
// could carry them. The access line, one per request, is built only from
// known-safe fields (server/access-line.ts), so it goes through a child
// without redaction: redacting with wildcard paths walks every field of
// every line, a measurable part of a cached manifest request (issue 11).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACT = ['authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'mirrorgate' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

/** A child of `root` that does not redact: only for lines whose every field is known to be safe. Made once, not per line. */
export function accessLogger(root: Logger): Logger {
  return root.child({}, { redact: [] });
}
