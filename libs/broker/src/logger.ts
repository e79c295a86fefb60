import pino, { type Logger } from 'pino';
import type { LogLevel } from './options';

export type { Logger };

/**
 * What the stdout logger holds while stdout's reader is slower than the broker logs (bytes):
 * past it, lines are dropped and counted, and the count is logged once writes go through again.
 * Without a bound, a stalled reader and churning peers would grow the broker's heap for ever.
 */
export const LOG_BUFFER_MAX_BYTES = 8 * 1024 * 1024;

// For the loggers createLogger writes to stdout itself: waits until every line is written.
const flushers = new WeakMap<Logger, (timeoutMs: number) => Promise<void>>();

/**
 * Structured JSON logs on stdout, one line per event. Written asynchronously (pino's
 * SonicBoom): a synchronous write would block the event loop, and with it the work path and
 * (through the no-drop XPUB) the fan-out, whenever the reader of stdout stalls (`npm start |
 * less`, a backed-up log shipper). Call `flushLogger` before `process.exit()`, so that the
 * last lines of a shutdown are written, in order.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'zmq-mq-broker' } };
  if (destination !== undefined) return pino(options, destination);
  const stdout = pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_MAX_BYTES });
  let requested = 0;
  let written = 0;
  let dropped = 0;
  let abandoned = false;
  let reporting = false;
  let reportDropped = false;
  const waiters = new Set<() => void>();
  stdout.on('drop', (line: string) => {
    requested -= Buffer.byteLength(line);
    if (reporting) reportDropped = true;
    else dropped++;
  });
  stdout.on('write', (bytes: number) => {
    written += bytes;
    if (dropped > 0) {
      const droppedLines = dropped;
      dropped = 0;
      // SonicBoom emits 'write' before it takes the written bytes off its buffer, so the
      // buffer can still be full: the note itself may be dropped. Then the count waits for
      // the next write instead of being lost.
      reporting = true;
      reportDropped = false;
      log.warn({ droppedLines }, 'log lines dropped: stdout took them too slowly');
      reporting = false;
      if (reportDropped) dropped += droppedLines;
    }
    if (written >= requested) for (const wake of waiters) wake();
  });
  const log = pino(options, {
    write(line: string) {
      if (abandoned) return;
      requested += Buffer.byteLength(line);
      stdout.write(line);
    },
  });
  flushers.set(
    log,
    (timeoutMs) =>
      new Promise((resolve) => {
        // After a timed-out flush there is nothing more to wait for (a second stop, an abort).
        if (abandoned || written >= requested) return resolve();
        const done = (): void => {
          waiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          // stdout's reader took nothing for timeoutMs: pino's exit hook must not write what is
          // still buffered synchronously at process.exit(), or it would block for ever (pino
          // does the same on EPIPE). Not destroy(): with a write in flight, SonicBoom then
          // loops on empty writes once the reader comes back, and the process never ends.
          abandoned = true;
          stdout.flushSync = (): void => undefined;
          done();
        }, timeoutMs);
        waiters.add(done);
      }),
  );
  return log;
}

/**
 * Resolves once every line `log` (from createLogger, on stdout) has logged so far is written,
 * or after `timeoutMs` when stdout's reader does not take them: an exit must not wait on it for
 * ever. On that timeout the logger lets go of stdout: what it still held is written only if the
 * reader comes back before the process exits, and it logs nothing more (call this when the
 * process is about to exit). Without the flush, pino writes what is still buffered at
 * `process.exit()` at once, ahead of a write still waiting for a libuv thread: "broker stopped"
 * came out before the line logged just before it. For a logger with another destination,
 * resolves at once.
 */
export function flushLogger(log: Logger, timeoutMs = 1000): Promise<void> {
  return flushers.get(log)?.(timeoutMs) ?? Promise.resolve();
}
