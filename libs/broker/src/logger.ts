import pino, { type Logger } from 'pino';
import type { LogLevel } from './options';

export type { Logger };

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'zmq-mq-broker' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
