import { decodeBrokerCommand, encodeHello, type BrokerCommand } from '@zmq-mq/protocol';
import { Dealer } from 'zeromq';
import type { Broker, BrokerOptionsInput } from '../src';
import { startBroker } from './helpers';

type Of<T extends BrokerCommand['type']> = Extract<BrokerCommand, { type: T }>;

/**
 * A bare DEALER on the reliable port for tests: sends frames as given, and hands out the
 * broker's commands in order, decoded, by type (`next('CONFIRM')` skips nothing: commands of
 * other types stay in the inbox for their own `next`). HEARTBEATs are counted and kept apart.
 */
export class RawClient {
  readonly socket: Dealer;
  readonly inbox: BrokerCommand[] = [];
  heartbeats = 0;
  private wake: (() => void) | undefined;

  constructor(endpoint: string) {
    this.socket = new Dealer({ linger: 0, sendTimeout: 5000 });
    this.socket.connect(endpoint);
    void this.read();
  }

  async send(frames: Array<Buffer | string>): Promise<void> {
    await this.socket.send(frames);
  }

  /** HELLO and its WELCOME. */
  async hello(body: Parameters<typeof encodeHello>[0] = {}): Promise<Of<'WELCOME'>> {
    await this.send(encodeHello(body));
    return this.next('WELCOME');
  }

  /** The first command of `type` in the inbox, waiting up to `timeoutMs` for one. */
  async next<T extends BrokerCommand['type']>(type: T, timeoutMs = 5000): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.inbox.findIndex((c) => c.type === type);
      if (at >= 0) return this.inbox.splice(at, 1)[0] as Of<T>;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no ${type} within ${timeoutMs} ms (inbox: ${this.inbox.map((c) => c.type).join(', ') || 'empty'})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Messages delivered until `count` have come (DELIVER commands merged), in order. */
  async deliveries(
    count: number,
    timeoutMs = 5000,
  ): Promise<Array<{ queue: string; tag: number; attempt: number; frames: Buffer[] }>> {
    const out: Array<{ queue: string; tag: number; attempt: number; frames: Buffer[] }> = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const d = await this.next('DELIVER', Math.max(1, deadline - Date.now()));
      d.tags.forEach((tag, i) =>
        out.push({
          queue: d.queue,
          tag,
          attempt: d.attempts[i] as number,
          frames: d.messages[i] as Buffer[],
        }),
      );
    }
    return out;
  }

  close(): void {
    if (!this.socket.closed) this.socket.close();
  }

  private async read(): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return; // closed
      }
      const cmd = decodeBrokerCommand(frames);
      if (cmd.type === 'HEARTBEAT') this.heartbeats++;
      else this.inbox.push(cmd);
      this.wake?.();
    }
  }
}

/** `topic SP payload` as a Buffer. */
export function frame(topic: string, payload: string): Buffer {
  return Buffer.from(`${topic} ${payload}`);
}

/**
 * For a describe block of the durable queues: brokers with a reliable port and the queue
 * `orders` (`orders.`), on the options `defaults()` gives, and raw clients of their ports;
 * every client is closed and every broker stopped after each test.
 */
export function reliableBrokers(defaults: () => BrokerOptionsInput): {
  broker(options?: BrokerOptionsInput): Promise<Broker>;
  client(b: Broker): RawClient;
  readonly brokers: readonly Broker[];
} {
  const brokers: Broker[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });
  return {
    brokers,
    async broker(options = {}) {
      const b = await startBroker({
        reliable: 'tcp://127.0.0.1:*',
        queues: ['orders=orders.'],
        ...defaults(),
        ...options,
      });
      brokers.push(b);
      return b;
    },
    client(b) {
      const c = new RawClient(b.endpoints!.reliable!);
      clients.push(c);
      return c;
    },
  };
}
