import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger };

/** Anything that could hold a credential is replaced before a line is written. */
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'connectionParams',
  '*.connectionParams',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ name: 'mechamap-realtime', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, destination);
}
