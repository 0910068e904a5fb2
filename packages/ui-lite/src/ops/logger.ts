import { pino, type Logger, type DestinationStream, type Level } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = Level | 'silent';

/** Paths pino masks wherever they appear in a log line: credentials never reach the logs. */
export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-csrf-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'body.password',
  'body.secret',
];

/**
 * JSON logs on stdout (or `destination`), one line per event. The request middleware
 * derives a child logger carrying the request id, so every line of a request names it.
 */
export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'signoff-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    // Asynchronous (sonic-boom coalesces the lines written while a write is in flight, and pino
    // flushes it synchronously at exit): one write(2) per request line cost the decision path
    // measurably under load.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
