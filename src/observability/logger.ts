// One root pino logger, built in the composition root and passed down.
// Credentials never reach the log: the root logger redacts the fields that
// could carry them. The access line, one per request, is built only from
// known-safe fields (server/access-line.ts), so it is written without
// pino's per-field walk: redacting with wildcard paths, and serialising
// field by field, were a measurable part of a cached manifest request
// (issue 11). By default lines go to stdout in batches (./line-sink.ts).
import { pino, type Logger, type DestinationStream, type Level } from 'pino';
import { escapeLineBreakers } from '../core/log-text.js';
import { LineSink, openStdout } from './line-sink.js';

export type { Logger };

const REDACT = ['authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'];

/** The default destination flushes every `flushMs` (0: at once), and at exit. */
export function createLogger(level: string, destination?: DestinationStream, flushMs = 0): Logger {
  return pino({ level, base: { service: 'mirrorgate' }, redact: { paths: REDACT, censor: '[redacted]' }, hooks: { streamWrite: escapedLine } }, destination ?? stdoutSink(flushMs));
}

/**
 * Every pino line escaped as the access line is (core/log-text.ts): pino's
 * JSON escapes C0 controls only, and a value quoting a client or an upstream
 * may carry C1 controls (CSI 0x9b starts a terminal control sequence; NEL
 * 0x85 cuts the line for Unicode-aware readers). The line's own final
 * newline is the one control left as is.
 */
function escapedLine(line: string): string {
  return line.endsWith('\n') ? `${escapeLineBreakers(line.slice(0, -1))}\n` : escapeLineBreakers(line);
}

function stdoutSink(flushMs: number): LineSink {
  const sink = new LineSink(openStdout(), flushMs);
  // Uncaught errors, process.exit and a return from main all pass here; only a kill or an abort skips it.
  process.once('exit', () => sink.flushAtExit());
  return sink;
}

/** Writes one line of known-safe fields at `level`, as the root logger would, with `msg`. */
export type LineWriter = (level: Level, fields: object, msg: string) => void;

/**
 * A writer to `root`'s destination for lines whose every field is known to
 * be safe (no redaction) and plain JSON: one JSON.stringify of the fields
 * instead of pino's walk. Same line shape as pino's: level, time, the
 * root's bindings, the fields, msg.
 */
export function safeLineWriter(root: Logger): LineWriter {
  const stream = (root as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym] as DestinationStream;
  const bindings = (root as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  return (level, fields, msg) => {
    if (!root.isLevelEnabled(level)) return;
    // Escaped beyond JSON.stringify: a client's User-Agent may carry C1 controls (NEL) that cut a line for Unicode-aware readers.
    const json = escapeLineBreakers(JSON.stringify(fields));
    const body = json.length > 2 ? `,${json.slice(1, -1)}` : '';
    stream.write(`{"level":${root.levels.values[level]},"time":${Date.now()}${bindings}${body},"msg":${JSON.stringify(msg)}}\n`);
  };
}
