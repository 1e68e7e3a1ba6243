// One root pino logger, built in the composition root and passed down.
// Credentials never reach the log.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mirrorgate' },
      redact: { paths: ['authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'], censor: '[redacted]' },
    },
    destination,
  );
}
