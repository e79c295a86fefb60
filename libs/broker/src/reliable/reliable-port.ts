import { randomUUID } from 'node:crypto';
import {
  decodeClientCommand,
  DEFAULT_HEARTBEAT_MS,
  encodeCancelled,
  encodeConsuming,
  encodeDeclared,
  encodeError,
  encodeHeartbeat,
  encodeWelcome,
  errorReplyFor,
  HEARTBEAT_LIVENESS,
  MAX_TEXT_BYTES,
  ProtocolError,
  RELIABLE_VERSION,
  type ClientCommand,
  type ErrorBody,
} from '@zmq-mq/protocol';
import { QueueDefinitionError, type QueueDefinition, type QueueStore } from '@zmq-mq/queue-store';
import type { Router } from 'zeromq';
import type { Logger } from '../logger';
import { Deliveries } from './deliveries';
import type { FanOutFeed } from './fan-out-feed';
import { Publishing } from './publishing';
import type { QueueIndex } from './queue-index';
import { Sender } from './sender';
import { Session } from './session';
import type { ReliableStats } from './stats';

/** Heartbeat intervals a HELLO may propose (ms); outside them WELCOME answers the nearest. */
export const MIN_HEARTBEAT_MS = 100;
export const MAX_HEARTBEAT_MS = 60_000;
/** How often silence, heartbeats and lease deadlines are checked (ms). */
const TICK_MS = 25;
/** Commands handled between two turns of the event loop under a continuous flood. */
const YIELD_EVERY = 64;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ReliablePortOptions {
  maxMessageBytes: number;
  /** A delivery's lease when CONSUME asks for none (ms). */
  ackWaitMs: number;
}

/** A snapshot of the sessions, for `/stats`. */
export interface SessionCounts {
  sessions: number;
  named: number;
  held: number;
}

/**
 * The reliable port: a bound ROUTER speaking protocol v1 (libs/protocol/README.md, "Reliable
 * port"). One receive loop reads every command and handles it synchronously; PUBLISH goes to
 * `Publishing`, consumers and settlements to `Deliveries`. Sessions are keyed by routing
 * identity; HELLO names one (resumable with its leases, heartbeats both ways). A session
 * silent for HEARTBEAT_LIVENESS intervals ends and its leases return to their queues at once.
 * Bad input never throws: an ERROR reply at a bounded rate per session (past it, a counted
 * drop).
 */
export class ReliablePort {
  readonly epoch = randomUUID();
  readonly publishing: Publishing;
  readonly deliveries: Deliveries;
  private readonly sender: Sender;
  /** Sessions by the routing identity of their connection. */
  private readonly sessions = new Map<string, Session>();
  /** Named sessions by id (HELLO `session` resumes one). */
  private readonly named = new Map<string, Session>();
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly router: Router,
    private readonly store: QueueStore,
    private readonly index: QueueIndex,
    private readonly stats: ReliableStats,
    private readonly log: Logger,
    private readonly options: ReliablePortOptions,
    fanOut: FanOutFeed | undefined,
    /** The receive loop ended with an error while the port ran. */
    private readonly failed: () => void,
  ) {
    this.sender = new Sender(router, stats);
    this.publishing = new Publishing(
      store,
      index,
      this.sender,
      stats,
      log,
      options.maxMessageBytes,
      fanOut,
    );
    this.deliveries = new Deliveries(store, this.sender, stats, log);
    store.onReady((queue) => this.deliveries.schedule(queue));
  }

  /** Starts reading commands and the heartbeat timer (the ROUTER is bound). */
  start(): void {
    this.loop = this.receiveLoop();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    for (const def of this.index.definitions()) this.deliveries.schedule(def.name);
  }

  /**
   * Takes no new work (PUBLISH gets NACK `shutting-down`, nothing more is delivered) and
   * resolves once every append in flight is answered. Leases held stay in the store: a
   * restart delivers them again.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.deliveries.stop();
    await this.publishing.stop();
  }

  /** Ends the timer; the receive loop ends when the broker closes the ROUTER. */
  close(): Promise<void> {
    clearInterval(this.timer);
    return this.loop ?? Promise.resolve();
  }

  sessionCounts(): SessionCounts {
    let named = 0;
    let held = 0;
    for (const s of this.sessions.values()) {
      if (s.named) named++;
      held += s.held;
    }
    return { sessions: this.sessions.size, named, held };
  }

  private async receiveLoop(): Promise<void> {
    const router = this.router;
    let n = 0;
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await router.receive();
      } catch (err) {
        if (!router.closed) {
          this.failed();
          this.log.error({ err }, 'reliable port: receive failed; port stopped');
        }
        return;
      }
      try {
        this.handle(frames);
      } catch (err) {
        // A bug, not bad input (that never throws): logged, and the port goes on.
        this.log.error({ err }, 'reliable port: a command could not be handled');
      }
      if (++n >= YIELD_EVERY) {
        n = 0;
        await yieldToEventLoop();
      }
      const behind = this.publishing.belowLimit();
      if (behind !== undefined) await behind;
    }
  }

  private handle(frames: Buffer[]): void {
    const peer = frames[0] as Buffer;
    const key = peer.toString('latin1');
    const now = Date.now();
    let session = this.sessions.get(key);
    let cmd: ClientCommand;
    try {
      cmd = decodeClientCommand(frames, 1);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      session ??= this.open(peer, key, now);
      session.lastHeard = now;
      this.stats.badCommands[err.kind]++;
      this.replyError(session, errorReplyFor(err), now);
      return;
    }
    this.stats.commands[cmd.type]++;
    if (cmd.type === 'HELLO') {
      this.hello(peer, key, session, cmd, now);
      return;
    }
    session ??= this.open(peer, key, now);
    session.lastHeard = now;
    switch (cmd.type) {
      case 'PUBLISH':
        this.publishing.publish(session, cmd.ids, cmd.messages, cmd.mandatory);
        break;
      case 'ACK':
        this.unknownTags(session, 'ACK', this.deliveries.ack(session, cmd.tags), now);
        break;
      case 'NAK':
        this.unknownTags(session, 'NAK', this.deliveries.nak(session, cmd.entries), now);
        break;
      case 'TERM':
        this.unknownTags(session, 'TERM', this.deliveries.term(session, cmd.entries), now);
        break;
      case 'PROGRESS':
        this.unknownTags(session, 'PROGRESS', this.deliveries.progress(session, cmd.tags), now);
        break;
      case 'CONSUME':
        this.consume(session, cmd.queue, cmd.credit, cmd.ackWaitMs, now);
        break;
      case 'CANCEL':
        if (!this.index.has(cmd.queue)) {
          this.unknownQueue(session, 'CANCEL', cmd.queue, now);
          break;
        }
        this.deliveries.cancel(session, cmd.queue);
        this.sender.send(session, encodeCancelled(cmd.queue));
        break;
      case 'DECLARE':
        this.declare(session, cmd, now);
        break;
      case 'BYE':
        this.end(session, 'bye');
        break;
      case 'HEARTBEAT':
        break;
    }
  }

  /** An anonymous session for a routing identity that said no HELLO. */
  private open(peer: Buffer, key: string, now: number): Session {
    const session = new Session(
      `anon-${peer.toString('hex')}`,
      peer,
      key,
      false,
      DEFAULT_HEARTBEAT_MS,
      undefined,
      now,
    );
    this.sessions.set(key, session);
    this.stats.sessionsOpened++;
    return session;
  }

  private hello(
    peer: Buffer,
    key: string,
    current: Session | undefined,
    hello: Extract<ClientCommand, { type: 'HELLO' }>,
    now: number,
  ): void {
    const heartbeatMs = Math.min(
      MAX_HEARTBEAT_MS,
      Math.max(MIN_HEARTBEAT_MS, hello.heartbeat ?? DEFAULT_HEARTBEAT_MS),
    );
    const known = hello.session === undefined ? undefined : this.named.get(hello.session);
    if (current !== undefined && current !== known) this.end(current, 'replaced');
    let session: Session;
    if (known !== undefined) {
      if (this.sessions.get(known.key) === known) this.sessions.delete(known.key);
      known.peer = peer;
      known.key = key;
      known.heartbeatMs = heartbeatMs;
      session = known;
      this.stats.sessionsResumed++;
    } else {
      session = new Session(randomUUID(), peer, key, true, heartbeatMs, hello.name, now);
      this.named.set(session.id, session);
      this.stats.sessionsOpened++;
    }
    session.lastHeard = now;
    this.sessions.set(key, session);
    this.sender.send(
      session,
      encodeWelcome({
        v: RELIABLE_VERSION,
        session: session.id,
        heartbeat: heartbeatMs,
        epoch: this.epoch,
        maxMessageBytes: this.options.maxMessageBytes,
        resumed: known !== undefined,
      }),
    );
    if (known !== undefined) this.deliveries.resumed(session);
  }

  private consume(
    session: Session,
    queue: string,
    credit: number,
    ackWaitMs: number | undefined,
    now: number,
  ): void {
    if (!this.index.has(queue)) {
      this.unknownQueue(session, 'CONSUME', queue, now);
      return;
    }
    const wait = ackWaitMs ?? this.options.ackWaitMs;
    this.sender.send(session, encodeConsuming({ queue, credit, ackWaitMs: wait }));
    if (!this.stopping) this.deliveries.consume(session, queue, credit, wait);
  }

  private declare(
    session: Session,
    cmd: Extract<ClientCommand, { type: 'DECLARE' }>,
    now: number,
  ): void {
    const { type: _type, queue, ...limits } = cmd;
    this.store.declare({ name: queue, ...limits }).then(
      (def: QueueDefinition) => {
        this.index.set(def);
        const { name, ...rest } = def;
        this.sender.send(session, encodeDeclared({ queue: name, ...rest }));
      },
      (err: unknown) => {
        const bad = err instanceof QueueDefinitionError;
        if (!bad) {
          this.stats.storeErrors++;
          this.log.error({ err, queue }, 'durable queues: DECLARE failed in the store');
        }
        this.replyError(
          session,
          {
            code: bad ? 'bad-request' : 'store-error',
            message: (err as Error).message,
            command: 'DECLARE',
            queue,
          },
          now,
        );
      },
    );
  }

  private unknownQueue(session: Session, command: string, queue: string, now: number): void {
    this.replyError(
      session,
      { code: 'unknown-queue', message: `no queue named ${queue} is declared`, command, queue },
      now,
    );
  }

  private unknownTags(
    session: Session,
    command: string,
    tags: number[] | undefined,
    now: number,
  ): void {
    if (tags === undefined) return;
    this.stats.unknownTags += tags.length;
    const shown = tags.slice(0, 5).join(', ') + (tags.length > 5 ? ', ...' : '');
    this.replyError(
      session,
      {
        code: 'unknown-tag',
        message: `${tags.length} tag${tags.length === 1 ? ' is' : 's are'} not held by this client: ${shown}`,
        command,
        tags,
      },
      now,
    );
  }

  /** An ERROR reply, unless the session has used up its rate (then a counted drop). */
  private replyError(session: Session, body: ErrorBody, now: number): void {
    if (!session.allowError(now)) {
      this.stats.errorsSuppressed++;
      return;
    }
    const reply: ErrorBody = { ...body, message: clip(body.message) };
    this.stats.errorsSent[reply.code as keyof typeof this.stats.errorsSent]++;
    this.sender.send(session, encodeError(reply));
  }

  /** Ends a session: its leases return to their queues at once. */
  private end(session: Session, why: 'bye' | 'silent' | 'replaced'): void {
    if (session.ended) return;
    session.ended = true;
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
    if (session.named) this.named.delete(session.id);
    this.deliveries.endSession(session);
    if (why === 'silent') this.stats.sessionsSilent++;
    else this.stats.sessionsClosed++;
    this.log.debug({ session: session.id, name: session.name, why }, 'reliable session ended');
  }

  // Silence ends a session; a named one hears a HEARTBEAT after an interval with nothing sent;
  // leases past their ack wait leave their session.
  private tick(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (now - session.lastHeard >= HEARTBEAT_LIVENESS * session.heartbeatMs) {
        this.end(session, 'silent');
        continue;
      }
      if (session.named && now - session.lastSent >= session.heartbeatMs) {
        this.sender.send(session, encodeHeartbeat());
      }
      this.deliveries.expire(session, now);
    }
  }
}

/** A text cut to the protocol's limit (bytes of UTF-8), on a character boundary. */
function clip(text: string): string {
  if (Buffer.byteLength(text) <= MAX_TEXT_BYTES) return text;
  let out = text.slice(0, MAX_TEXT_BYTES);
  while (Buffer.byteLength(out) > MAX_TEXT_BYTES - 3) out = out.slice(0, -1);
  return `${out}...`;
}
