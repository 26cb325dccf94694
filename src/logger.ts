/**
 * The logger port is pino's. Secrets are redacted by path so that a token placed in a log object
 * by mistake still never reaches the output.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.client_secret',
  '*.apiKey',
  '*.password',
  'access_token',
  'refresh_token',
  'token',
  'apiKey',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const base = {
    level: options.level ?? 'info',
    name: options.name ?? 'parley',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base);
}

/** A logger that drops everything: for tests and for the console adapter's quiet mode. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
