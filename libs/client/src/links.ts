/** Small plumbing shared by the SDK classes: connecting sockets and waiting with a timeout. */
import { MAX_INT32, needsIpv6, OptionError } from '@zmq-mq/protocol';
import type { Socket } from 'zeromq';

/**
 * Creates one item per endpoint with `make` and connects its socket. If any connect throws
 * (a malformed endpoint), every socket made so far is closed and an `OptionError` is thrown.
 */
export function connectAll<T>(
  endpoints: readonly string[],
  make: (endpoint: string, index: number) => { socket: Socket; link: T },
): T[] {
  const sockets: Socket[] = [];
  return endpoints.map((endpoint, i) => {
    const { socket, link } = make(endpoint, i);
    sockets.push(socket);
    connectOrClose(socket, endpoint, sockets);
    return link;
  });
}

/**
 * Connects one socket to several endpoints (consumers merge what they receive). With
 * `serverKeys`, each endpoint's CURVE server key is set before its connect: libzmq takes a
 * connection's CURVE options at its connect, so one socket can reach brokers of other keys.
 */
export function connectSocket(
  socket: Socket,
  endpoints: readonly string[],
  serverKeys: ReadonlyArray<string | undefined> = [],
): void {
  endpoints.forEach((endpoint, i) => {
    const key = serverKeys[i];
    if (key !== undefined) socket.curveServerKey = key;
    connectOrClose(socket, endpoint, [socket]);
  });
}

function connectOrClose(socket: Socket, endpoint: string, all: readonly Socket[]): void {
  try {
    if (needsIpv6(endpoint)) socket.ipv6 = true;
    socket.connect(endpoint);
  } catch (err) {
    for (const s of all) {
      s.linger = 0;
      s.close();
    }
    throw new OptionError('connect', endpoint, (err as Error).message);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Promises waiting for a condition, each with its own timeout. */
export class Waiters {
  private list: Waiter[] = [];

  /**
   * Waits for `resolveAll()`; after `timeoutMs` rejects with `onTimeout()`. Past what a Node timer
   * holds (`MAX_INT32` ms, about 24.8 days; a longer one would fire after 1 ms) it waits without
   * a timeout, as for `Infinity`.
   */
  wait(timeoutMs: number, onTimeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs <= MAX_INT32) {
        waiter.timer = setTimeout(() => {
          this.list = this.list.filter((w) => w !== waiter);
          reject(onTimeout());
        }, timeoutMs);
      }
      this.list.push(waiter);
    });
  }

  resolveAll(): void {
    for (const w of this.take()) w.resolve();
  }

  rejectAll(err: Error): void {
    for (const w of this.take()) w.reject(err);
  }

  private take(): Waiter[] {
    const list = this.list;
    this.list = [];
    for (const w of list) clearTimeout(w.timer);
    return list;
  }
}
