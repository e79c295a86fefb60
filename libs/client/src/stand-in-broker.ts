/**
 * A small stand-in for the broker's reliable port, for tests of clients: a bound ROUTER that
 * speaks protocol v1 through @zmq-mq/protocol's codec, keeps queues in memory, and can be told
 * to refuse, ignore, fall silent or restart. It is a test double of the broker's behaviour,
 * not the broker: no durability, no limits beyond what a test sets.
 */
import { randomUUID } from 'node:crypto';
import {
  decodeClientCommand,
  encodeCancelled,
  encodeConfirm,
  encodeConsuming,
  encodeDeclared,
  encodeDeliver,
  encodeError,
  encodeHeartbeat,
  encodeNack,
  encodeWelcome,
  errorReplyFor,
  ProtocolError,
} from '@zmq-mq/protocol';
import type { ClientCommand, DeclaredQueue, NackEntry, QueueDeclaration } from '@zmq-mq/protocol';
import { Router } from 'zeromq';

/** What the stand-in does with a published message. */
export type PublishVerdict =
  | 'confirm'
  | 'ignore'
  | 'hold'
  | { code: string; message?: string; queue?: string; limit?: number };

export interface StandInOptions {
  /** Where to bind (default `tcp://127.0.0.1:*`); an `ipc://` path survives `restart()` cleanly. */
  endpoint?: string;
  /** Heartbeat interval WELCOME announces, ms (default 1000). */
  heartbeatMs?: number;
  /** maxMessageBytes WELCOME announces (default 1 MiB). */
  maxMessageBytes?: number;
  /** ackWaitMs CONSUMING announces when CONSUME has none (default 30 000). */
  ackWaitMs?: number;
}

export interface StoredMessage {
  readonly id: string;
  readonly frames: Buffer[];
  /** Deliveries so far. */
  attempts: number;
}

export interface StandInQueue {
  readonly definition: DeclaredQueue;
  /** Ready messages, next first. */
  readonly ready: StoredMessage[];
  readonly dead: Array<{ message: StoredMessage; reason: string | undefined }>;
  /** Messages acknowledged (removed). */
  acked: number;
}

interface Session {
  readonly id: string;
  peer: Buffer;
  readonly named: boolean;
  readonly leases: Map<number, { queue: string; message: StoredMessage }>;
  readonly consumers: Map<string, number>;
  lastSent: number;
}

/** One command as the stand-in received it. */
export interface Received {
  /** The session it came from (its id; an anonymous session's id starts with `anon-`). */
  readonly session: string;
  readonly peer: string;
  readonly command: ClientCommand;
}

export class StandInBroker {
  /** Every command received (not while `silent`), in order. */
  readonly received: Received[] = [];
  readonly queues = new Map<string, StandInQueue>();
  /** Ids confirmed, for dedup. */
  readonly stored = new Set<string>();
  /** Most deliveries of one queue one session held unacknowledged at once. */
  peakHeld = 0;
  /** Published messages held back by the verdict `hold`, until `release()`. */
  readonly holding: Array<{ peer: Buffer; id: string; frames: Buffer[] }> = [];
  /** Decides each published message (default: confirm; `hold` waits for `release()`). */
  onPublish: (id: string, frames: Buffer[]) => PublishVerdict = () => 'confirm';
  /** While true, commands are read and dropped and nothing is sent: a hung broker. */
  silent = false;
  epoch = randomUUID();
  private router: Router;
  private readonly sessions = new Map<string, Session>();
  private readonly byPeer = new Map<string, Session>();
  private outbox: Buffer[][] = [];
  private writing = false;
  private nextTag = Date.now() * 1000;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly endpoint: string,
    router: Router,
    private readonly options: Required<Omit<StandInOptions, 'endpoint'>>,
  ) {
    this.router = router;
    void this.read(router);
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, options.heartbeatMs / 2));
  }

  static async start(options: StandInOptions = {}): Promise<StandInBroker> {
    const router = new Router({ linger: 0 });
    await router.bind(options.endpoint ?? 'tcp://127.0.0.1:*');
    return new StandInBroker(router.lastEndpoint as string, router, {
      heartbeatMs: options.heartbeatMs ?? 1000,
      maxMessageBytes: options.maxMessageBytes ?? 1 << 20,
      ackWaitMs: options.ackWaitMs ?? 30_000,
    });
  }

  /** The commands of one type received so far. */
  commands<T extends ClientCommand['type']>(type: T): Array<Extract<ClientCommand, { type: T }>> {
    return this.received
      .filter((r) => r.command.type === type)
      .map((r) => r.command as Extract<ClientCommand, { type: T }>);
  }

  /** Declares a queue as DECLARE would (defaults for the limits not given). */
  declare(declaration: QueueDeclaration): StandInQueue {
    let queue = this.queues.get(declaration.queue);
    if (queue === undefined) {
      queue = {
        definition: {
          maxMessages: 1_000_000,
          maxBytes: 2 ** 30,
          maxAgeMs: 0,
          overflow: 'reject',
          maxDeadMessages: 10_000,
          ...declaration,
        },
        ready: [],
        dead: [],
        acked: 0,
      };
      this.queues.set(declaration.queue, queue);
    }
    return queue;
  }

  /** Puts a message straight into a queue (as if published and confirmed). */
  enqueue(queue: string, id: string, frames: Buffer[]): void {
    this.declare({ queue, prefixes: [] }).ready.push({ id, frames, attempts: 0 });
    this.stored.add(id);
    this.dispatch();
  }

  /** Stores and confirms the messages held back by `hold`. */
  release(): void {
    for (const { peer, id, frames } of this.holding.splice(0)) {
      this.store(id, frames);
      this.send(peer, encodeConfirm([id]));
    }
    this.dispatch();
  }

  /**
   * A broker restart: the ROUTER closes (clients see the link drop), sessions and their leases
   * are forgotten (leased messages are ready again, their attempts counted), the epoch changes,
   * and a new ROUTER binds the same endpoint. Stored messages stay.
   */
  async restart(): Promise<void> {
    this.router.close();
    for (const session of this.sessions.values()) this.endSession(session);
    this.sessions.clear();
    this.byPeer.clear();
    this.outbox = [];
    this.epoch = randomUUID();
    const router = new Router({ linger: 0 });
    await router.bind(this.endpoint);
    this.router = router;
    void this.read(router);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const t of this.timers) clearTimeout(t);
    this.router.close();
  }

  private async read(router: Router): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await router.receive();
      } catch {
        return; // closed
      }
      if (this.silent || router !== this.router) continue;
      const peer = frames[0] as Buffer;
      let command: ClientCommand;
      try {
        command = decodeClientCommand(frames, 1);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.send(peer, encodeError(errorReplyFor(err)));
        continue;
      }
      const session = this.sessionOf(peer, command);
      this.received.push({ session: session.id, peer: peer.toString('hex'), command });
      this.handle(session, command);
      this.dispatch();
    }
  }

  private sessionOf(peer: Buffer, command: ClientCommand): Session {
    const key = peer.toString('hex');
    if (command.type === 'HELLO') {
      const known = command.session === undefined ? undefined : this.sessions.get(command.session);
      const session = known ?? this.newSession(randomUUID(), peer, true);
      const old = this.byPeer.get(key);
      if (old !== undefined && old !== session && !old.named) this.endSession(old);
      this.byPeer.delete(session.peer.toString('hex'));
      session.peer = peer;
      this.byPeer.set(key, session);
      this.send(
        peer,
        encodeWelcome({
          v: 1,
          session: session.id,
          heartbeat: this.options.heartbeatMs,
          epoch: this.epoch,
          maxMessageBytes: this.options.maxMessageBytes,
          resumed: known !== undefined,
        }),
      );
      return session;
    }
    return this.byPeer.get(key) ?? this.newSession(`anon-${key}`, peer, false);
  }

  private newSession(id: string, peer: Buffer, named: boolean): Session {
    const session: Session = {
      id,
      peer,
      named,
      leases: new Map(),
      consumers: new Map(),
      lastSent: Date.now(),
    };
    this.sessions.set(id, session);
    this.byPeer.set(peer.toString('hex'), session);
    return session;
  }

  private endSession(session: Session): void {
    for (const { queue, message } of session.leases.values()) {
      this.queues.get(queue)?.ready.unshift(message);
    }
    session.leases.clear();
    session.consumers.clear();
    this.sessions.delete(session.id);
  }

  private handle(session: Session, command: ClientCommand): void {
    const peer = session.peer;
    switch (command.type) {
      case 'PUBLISH':
        this.publish(peer, command.ids, command.messages, command.mandatory);
        break;
      case 'DECLARE': {
        const { type: _, ...declaration } = command;
        this.send(peer, encodeDeclared(this.declare(declaration).definition));
        break;
      }
      case 'CONSUME':
        if (!this.queues.has(command.queue)) {
          this.send(
            peer,
            encodeError({
              code: 'unknown-queue',
              message: `no queue ${command.queue}`,
              command: 'CONSUME',
              queue: command.queue,
            }),
          );
          break;
        }
        session.consumers.set(command.queue, command.credit);
        this.send(
          peer,
          encodeConsuming({
            queue: command.queue,
            credit: command.credit,
            ackWaitMs: command.ackWaitMs ?? this.options.ackWaitMs,
          }),
        );
        break;
      case 'CANCEL':
        session.consumers.delete(command.queue);
        this.send(peer, encodeCancelled(command.queue));
        break;
      case 'ACK':
      case 'NAK':
      case 'TERM':
      case 'PROGRESS':
        this.settle(session, command);
        break;
      case 'BYE':
        this.endSession(session);
        this.byPeer.delete(peer.toString('hex'));
        break;
      default:
        break; // HELLO (answered in sessionOf), HEARTBEAT
    }
  }

  private publish(peer: Buffer, ids: string[], messages: Buffer[][], mandatory: boolean): void {
    const confirmed: string[] = [];
    const refused: NackEntry[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const frames = messages[i] as Buffer[];
      const verdict = this.onPublish(id, frames);
      if (verdict === 'ignore') continue;
      if (verdict === 'hold') {
        this.holding.push({ peer, id, frames });
        continue;
      }
      if (verdict !== 'confirm') {
        refused.push({ id, message: `refused by the stand-in`, ...verdict });
        continue;
      }
      if (mandatory && this.matching(frames).length === 0) {
        refused.push({ id, code: 'no-queue', message: 'no queue matches' });
        continue;
      }
      this.store(id, frames);
      confirmed.push(id);
    }
    if (confirmed.length > 0) this.send(peer, encodeConfirm(confirmed));
    if (refused.length > 0) this.send(peer, encodeNack(refused));
  }

  private matching(frames: Buffer[]): StandInQueue[] {
    const frame0 = frames[0] as Buffer;
    return [...this.queues.values()].filter((q) =>
      q.definition.prefixes.some((p) => {
        const bytes = Buffer.from(p);
        return frame0.subarray(0, bytes.length).equals(bytes);
      }),
    );
  }

  // Stores a message once (dedup by id) in every queue whose prefixes match its topic.
  private store(id: string, frames: Buffer[]): void {
    if (this.stored.has(id)) return;
    this.stored.add(id);
    for (const q of this.matching(frames)) q.ready.push({ id, frames, attempts: 0 });
  }

  private settle(
    session: Session,
    command: Extract<ClientCommand, { type: 'ACK' | 'NAK' | 'TERM' | 'PROGRESS' }>,
  ): void {
    const entries =
      command.type === 'ACK' || command.type === 'PROGRESS'
        ? command.tags.map((tag) => ({ tag }))
        : command.entries;
    const unknown: number[] = [];
    for (const entry of entries) {
      const lease = session.leases.get(entry.tag);
      if (lease === undefined) {
        unknown.push(entry.tag);
        continue;
      }
      if (command.type === 'PROGRESS') continue;
      session.leases.delete(entry.tag);
      const queue = this.queues.get(lease.queue) as StandInQueue;
      if (command.type === 'ACK') queue.acked++;
      else if (command.type === 'TERM') {
        queue.dead.push({ message: lease.message, reason: (entry as { reason?: string }).reason });
      } else {
        const delayMs = (entry as { delayMs?: number }).delayMs ?? 0;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          queue.ready.unshift(lease.message);
          this.dispatch();
        }, delayMs);
        this.timers.add(timer);
      }
    }
    if (unknown.length > 0) {
      this.send(
        session.peer,
        encodeError({
          code: 'unknown-tag',
          message: 'not held',
          command: command.type,
          tags: unknown,
        }),
      );
    }
  }

  // Delivers what each consumer's credit allows, one DELIVER per session and queue.
  private dispatch(): void {
    if (this.silent) return;
    for (const session of this.sessions.values()) {
      for (const [name, credit] of session.consumers) {
        const queue = this.queues.get(name);
        if (queue === undefined) continue;
        let held = 0;
        for (const lease of session.leases.values()) if (lease.queue === name) held++;
        const items = [];
        while (held < credit && queue.ready.length > 0) {
          const message = queue.ready.shift() as StoredMessage;
          message.attempts++;
          const tag = this.nextTag++;
          session.leases.set(tag, { queue: name, message });
          items.push({ tag, attempt: message.attempts, frames: message.frames });
          held++;
        }
        this.peakHeld = Math.max(this.peakHeld, held);
        if (items.length > 0) this.send(session.peer, encodeDeliver(name, items));
      }
    }
  }

  private beat(): void {
    if (this.silent) return;
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.named && now - session.lastSent >= this.options.heartbeatMs) {
        this.send(session.peer, encodeHeartbeat());
      }
    }
  }

  private send(peer: Buffer, frames: Buffer[]): void {
    if (this.silent || this.closed) return;
    const session = this.byPeer.get(peer.toString('hex'));
    if (session !== undefined) session.lastSent = Date.now();
    this.outbox.push([peer, ...frames]);
    if (!this.writing) void this.pump();
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.outbox.length > 0) {
        const frames = this.outbox.shift() as Buffer[];
        try {
          await this.router.send(frames);
        } catch {
          if (this.closed) return;
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
