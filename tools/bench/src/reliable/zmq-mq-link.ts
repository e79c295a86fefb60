// zmq-mq's reliable port through a raw zeromq.js DEALER: HELLO, PUBLISH batches answered by
// CONFIRM, CONSUME with credit answered by DELIVER batches, ACK lists. Heartbeats while idle.
import { randomBytes } from 'node:crypto';
import { Dealer } from 'zeromq';
import type { ConfirmSink, ConsumeLink, DeliverySink, PublishLink } from './links';
import type { Target } from './messages';
import { Signal } from './signal';
import * as wire from './zmq-mq-protocol';
import type { Command } from './zmq-mq-protocol';

const REPLY_TIMEOUT_MS = 10_000;
/** Commands queued for the socket before publish() reports the link as not writable. */
const MAX_QUEUED_COMMANDS = 64;
const CLOSE_LINGER_MS = 1000;

/** One DEALER session: its writer (one pending send, as zeromq.js allows), reader and heartbeat. */
class Session {
  private readonly socket = new Dealer({ linger: CLOSE_LINGER_MS });
  private readonly queue: Buffer[][] = [];
  private writing = false;
  private lastSendMs = Date.now();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly replies = new Map<string, (c: Command) => void>();
  readonly idle = new Signal();

  constructor(
    url: string,
    private readonly onCommand: (c: Command) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.socket.connect(url);
    void this.read();
  }

  /** Says HELLO and starts heartbeats at the interval the WELCOME grants. */
  async hello(name: string): Promise<void> {
    const welcome = this.reply('WELCOME');
    this.send(wire.hello(name, 1000));
    const heartbeatMs = wire.welcomeHeartbeat((await welcome).body);
    this.heartbeatTimer = setInterval(
      () => {
        if (Date.now() - this.lastSendMs >= heartbeatMs) this.send(wire.heartbeat());
      },
      Math.max(50, heartbeatMs / 4),
    );
  }

  /** Resolves with the next command called `name` (bounded). */
  reply(name: string): Promise<Command> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(name);
        reject(new Error(`zmq-mq: no ${name} within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.replies.set(name, (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  send(frames: Buffer[]): void {
    this.queue.push(frames);
    this.lastSendMs = Date.now();
    if (!this.writing) void this.write();
  }

  private async write(): Promise<void> {
    this.writing = true;
    for (let frames = this.queue.shift(); frames; frames = this.queue.shift()) {
      try {
        await this.socket.send(frames);
      } catch (err) {
        if (this.socket.closed) break;
        this.onError(err);
      }
      if (this.queue.length < MAX_QUEUED_COMMANDS / 2) this.idle.wake();
    }
    this.writing = false;
    this.idle.wake();
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const command = wire.decodeCommand(frames);
        const waiter = this.replies.get(command.name);
        if (waiter) {
          this.replies.delete(command.name);
          waiter(command);
        } else if (command.name === 'ERROR') {
          this.onError(new Error(`zmq-mq ERROR ${wire.describeError(command.body)}`));
        } else if (command.name !== 'HEARTBEAT') {
          this.onCommand(command);
        }
      }
    } catch (err) {
      if (!this.socket.closed) this.onError(err);
    }
  }

  /** Says BYE, lets the queued commands go (bounded by the linger) and closes. */
  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.send(wire.bye());
    const deadline = Date.now() + CLOSE_LINGER_MS;
    while (this.writing && Date.now() < deadline)
      await Promise.race([this.idle.wait(), new Promise((r) => setTimeout(r, 50))]);
    this.socket.close();
  }
}

/** Publishes with confirms: each flush() is one PUBLISH command of the messages since the last. */
export async function zmqMqPublisher(target: Target, sink: ConfirmSink): Promise<PublishLink> {
  const topicSp = Buffer.from(`${target.subject} `, 'latin1');
  const pending = new Map<string, number>();
  const settle = (id: string, ok: boolean): void => {
    const token = pending.get(id);
    if (token === undefined) return; // a second answer for one id: the first counted
    pending.delete(id);
    sink.confirmed(token, ok);
  };
  const session = new Session(
    target.url,
    (c) => {
      if (c.name === 'CONFIRM') for (const id of wire.confirmedIds(c.body)) settle(id, true);
      else if (c.name === 'NACK') for (const n of wire.nackedIds(c.body)) settle(n.id, false);
    },
    (err) => sink.error(err),
  );
  await session.hello('bench-producer');
  // The broker drops an id it stored within its dedup window, whoever sent it: each link's ids
  // are its own (a random prefix, then a counter).
  const prefix = `${randomBytes(6).toString('base64url')}.`;
  let next = 0;
  let ids: string[] = [];
  let frames: Buffer[] = [];
  return {
    publish(payload, token) {
      const id = prefix + (next++).toString(36);
      pending.set(id, token);
      ids.push(id);
      frames.push(Buffer.concat([topicSp, payload]));
    },
    flush() {
      if (ids.length === 0) return;
      session.send(wire.publish(ids, frames));
      ids = [];
      frames = [];
    },
    writable: () => session.queued < MAX_QUEUED_COMMANDS,
    drained: () => (session.queued < MAX_QUEUED_COMMANDS ? Promise.resolve() : session.idle.wait()),
    close: () => session.close(),
  };
}

/** Consumes the queue with `prefetch` credit; each DELIVER batch is acked with one ACK. */
export async function zmqMqConsumer(
  target: Target,
  prefetch: number,
  sink: DeliverySink,
): Promise<ConsumeLink> {
  const session: Session = new Session(
    target.url,
    (c) => {
      if (c.name !== 'DELIVER') return;
      const tags: number[] = [];
      for (const d of wire.deliveries(c.body, c.frames)) {
        const frame = d.frames[0] as Buffer;
        const sp = frame.indexOf(0x20);
        sink.received(frame, sp + 1, frame.length, d.attempt > 1);
        tags.push(d.tag);
      }
      session.send(wire.ack(tags));
      sink.acked();
    },
    (err) => sink.error(err),
  );
  await session.hello('bench-consumer');
  const consuming = session.reply('CONSUMING');
  session.send(wire.consume(target.queue, prefetch));
  await consuming;
  return { close: () => session.close() };
}
