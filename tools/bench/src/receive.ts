// The consumers' receive path, as cheap as zeromq.js allows. With `receiveTimeout` -1 every
// receive() first asks libzmq for ZMQ_EVENTS (a poll() system call per message) and, after a
// few synchronous reads, defers to the next loop turn; with `receiveTimeout` 0 it reads at once
// and rejects with EAGAIN when the socket is empty. So: read with 0 while messages keep coming,
// wait with an ordinary awaited receive when the socket is empty, and yield to the event loop
// every YIELD_EVERY messages so that IPC (progress, report) is served under a flood.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Pull, Subscriber } from 'zeromq';

export const YIELD_EVERY = 256;

function isEagain(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EAGAIN';
}

/**
 * Calls `onMessage` with every message received until the socket is closed (then resolves).
 * Rejects on any other receive error.
 */
export async function receiveAll(
  socket: Subscriber | Pull,
  onMessage: (frames: Buffer[]) => void,
): Promise<void> {
  socket.receiveTimeout = 0;
  for (let n = 1; !socket.closed; n++) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (err) {
      if (socket.closed) return;
      if (!isEagain(err)) throw err;
      socket.receiveTimeout = -1;
      try {
        frames = await socket.receive();
      } catch (waitErr) {
        if (socket.closed) return;
        throw waitErr;
      }
      if (socket.closed) return;
      socket.receiveTimeout = 0;
    }
    onMessage(frames);
    if (n % YIELD_EVERY === 0) await yieldToLoop();
  }
}
