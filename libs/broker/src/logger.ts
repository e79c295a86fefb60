import pino, { type Logger } from 'pino';
import type { LogLevel } from './options';

export type { Logger };

/**
 * Structured JSON logs on stdout, one line per event. Written synchronously: the broker logs
 * events, not messages, and pino's default asynchronous stdout hands each write to libuv's
 * thread pool, where the proxy threads also run; at `process.exit()` pino then writes what is
 * buffered at once, ahead of a write still waiting for a thread, so the last lines of a
 * shutdown came out of order ("work messages left undelivered" after "broker stopped").
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'zmq-mq-broker' } };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
