import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardEvents } from './shapes';

/** Pages (event-stream connections) served at once; past it `/events` answers 503. */
export const DEFAULT_MAX_EVENT_CLIENTS = 32;
/**
 * Bytes a client may leave unread (its socket's send buffer full) before it is cut off: a
 * stalled page costs at most this much memory, then reconnects and starts afresh with `hello`.
 */
export const MAX_UNREAD_EVENT_BYTES = 1024 * 1024;
/** How long EventSource waits before reconnecting (ms): sent to every client. */
export const RECONNECT_MS = 1000;

/** One server-sent event, as text. */
export function eventText<K extends keyof DashboardEvents>(
  name: K,
  data: DashboardEvents[K],
): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The open `/events` connections: each gets `hello` when it connects, then what `broadcast`
 * sends (one text, encoded once for every client). Bounded in clients and in unread bytes per
 * client; both limits are counted.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  refused = 0;
  cut = 0;

  constructor(readonly maxClients = DEFAULT_MAX_EVENT_CLIENTS) {}

  get size(): number {
    return this.clients.size;
  }

  /** Answers an `/events` request: the stream's headers, `hello`, then every broadcast. */
  attach(req: IncomingMessage, res: ServerResponse, hello: () => string): void {
    if (this.clients.size >= this.maxClients) {
      this.refused++;
      res
        .writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' })
        .end(`too many dashboard pages open (at most ${this.maxClients})\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    this.clients.add(res);
    const forget = (): void => {
      this.clients.delete(res);
    };
    res.on('close', forget);
    res.write(`retry: ${RECONNECT_MS}\n\n${hello()}`);
  }

  /** Sends `text` (one or more events) to every client; cuts off those too far behind. */
  broadcast(text: string): void {
    if (this.clients.size === 0) return;
    const bytes = Buffer.from(text);
    for (const res of this.clients) {
      if (res.writableLength > MAX_UNREAD_EVENT_BYTES) {
        this.cut++;
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(bytes);
    }
  }

  /** Ends every stream (the broker is stopping). */
  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
