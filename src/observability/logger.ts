/**
 * The process logger: pino, one JSON object per line, ISO 8601 UTC times. Components do
 * not log directly on hot paths; they report typed events that src/observability turns
 * into log lines and counters. Secrets are never passed to the logger; the redact list is
 * a second line of defence for objects that might carry one.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'uid-listener' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['secret', '*.secret', 'token', '*.token', 'tokens', '*.tokens', 'key', '*.key'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
