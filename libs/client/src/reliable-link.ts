/**
 * A session on the broker's reliable port, shared by ConfirmingProducer and QueueWorker: one
 * DEALER, one writer, HELLO and WELCOME, heartbeats, and a new DEALER when the link is lost or
 * the broker falls silent. What the session means (unconfirmed sends, held deliveries) stays
 * with the owner, which hears of each WELCOME and of every other command.
 */
import type { EventEmitter } from 'node:events';
import {
  decodeBrokerCommand,
  encodeBye,
  encodeHeartbeat,
  encodeHello,
  HEARTBEAT_LIVENESS,
} from '@zmq-mq/protocol';
import type { BrokerCommand, ProtocolError } from '@zmq-mq/protocol';
import { Dealer } from 'zeromq';
import { NotReadyError, type HandshakeError } from './errors';
import type { ConnectionEvent, ConnectionEvents } from './events';
import { forwardConnectionEvents } from './events';
import { connectSocket, Waiters } from './links';
import { FrameQueue } from './queue';
import type { LinkSettings } from './reliable-options';

/** What a WELCOME told: the session's state after a (re)connection. */
export interface SessionInfo {
  readonly session: string;
  readonly epoch: string;
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  readonly resumed: boolean;
  /** Every WELCOME after the first: the link was replaced (or ZeroMQ reconnected it). */
  readonly reconnected: boolean;
  /** The tags held before are void: a new epoch, or the broker no longer knew the session. */
  readonly voided: boolean;
}

/** Why a link was replaced by a new DEALER. */
export type ReconnectReason = 'heartbeat' | 'disconnect';

/** Events of the reliable-port clients, besides the connection events. */
export interface ReliableEvents extends ConnectionEvents {
  /** A WELCOME arrived: the session is up (again). */
  welcome: [ConnectionEvent & SessionInfo];
  /** The link is being replaced by a new DEALER, which will say HELLO with the session. */
  reconnect: [ConnectionEvent & { readonly reason: ReconnectReason }];
  /** A command from the broker could not be decoded; it was dropped (counted). */
  'protocol-error': [ConnectionEvent & { readonly error: ProtocolError }];
}

/** A broker command other than WELCOME and HEARTBEAT, which the link handles itself. */
export type SessionCommand = Exclude<BrokerCommand, { type: 'WELCOME' | 'HEARTBEAT' }>;

export interface LinkOwner {
  welcome(info: SessionInfo): void;
  command(cmd: SessionCommand): void;
}

/** Counters of a link. */
export interface LinkCounters {
  /** Times the DEALER was replaced (heartbeat silence or a lost connection). */
  readonly reconnects: number;
  /** Broker commands that could not be decoded (dropped). */
  readonly undecodable: number;
  /** Commands waiting for the socket that a replacement dropped (the owner sends again). */
  readonly droppedOnReconnect: number;
}

export class ReliableLink {
  private socket!: Dealer;
  private readonly outbox = new FrameQueue();
  private readonly drainWaiters = new Waiters();
  private readonly welcomeWaiters = new Waiters();
  private writing = false;
  private connected = false;
  private lastSent = 0;
  private lastHeard = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private everWelcomed = false;
  /** Increases with every new DEALER: what was sent on an older one may be lost. */
  generation = 0;
  /** WELCOME arrived on the current DEALER. */
  welcomed = false;
  session: string | undefined;
  epoch: string | undefined;
  heartbeatMs: number;
  maxMessageBytes = Number.POSITIVE_INFINITY;
  /** The last handshake failure, until the next handshake. */
  failure: HandshakeError | undefined;
  private counts = { reconnects: 0, undecodable: 0, droppedOnReconnect: 0 };

  constructor(
    private readonly settings: LinkSettings,
    private readonly owner: LinkOwner,
    private readonly emitter: Pick<EventEmitter<ReliableEvents>, 'emit'>,
  ) {
    this.heartbeatMs = settings.heartbeatMs;
    this.openSocket();
    this.startTimer();
  }

  get endpoint(): string {
    return this.settings.endpoint;
  }

  /** Queues a command for the broker; commands leave in order, one pending send at a time. */
  send(frames: Buffer[]): void {
    if (this.closed && this.socket.closed) return;
    this.outbox.push(frames);
    if (!this.writing) void this.pump();
  }

  /** Resolves at the first WELCOME (at once if one came); rejects with `onTimeout()` after `timeoutMs`. */
  ready(timeoutMs: number, onTimeout: () => Error): Promise<void> {
    if (this.welcomed) return Promise.resolve();
    return this.welcomeWaiters.wait(timeoutMs, onTimeout);
  }

  /** What `ready()` rejects with after `timeoutMs`: no WELCOME, and the last handshake failure. */
  notReady(timeoutMs: number): NotReadyError {
    return new NotReadyError(
      [this.endpoint],
      timeoutMs,
      [],
      this.failure === undefined ? [] : [this.failure],
    );
  }

  counters(): LinkCounters {
    return { ...this.counts };
  }

  /**
   * Says BYE, waits up to `closeTimeoutMs` for the commands queued so far to be handed to
   * ZeroMQ, then closes the socket with the configured linger.
   */
  async close(error: Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.welcomeWaiters.rejectAll(error);
    if (this.connected) {
      this.send(encodeBye());
      if (this.writing || this.outbox.length > 0) {
        await this.drainWaiters
          .wait(this.settings.closeTimeoutMs, () => error)
          .catch(() => undefined); // what is left is handled below
      }
    }
    this.socket.close();
  }

  private openSocket(): void {
    const socket = new Dealer(this.settings.socket);
    this.socket = socket;
    this.generation++;
    this.connected = false;
    this.welcomed = false;
    this.outbox.push(
      encodeHello({
        ...(this.session === undefined ? {} : { session: this.session }),
        heartbeat: this.settings.heartbeatMs,
        ...(this.settings.name === undefined ? {} : { name: this.settings.name }),
      }),
    );
    forwardConnectionEvents(
      socket,
      this.emitter,
      [this.settings.endpoint],
      'reliable client',
      (type, _at, failure) => {
        if (socket !== this.socket) return;
        if (failure !== undefined) this.failure = failure;
        if (type === 'handshake') {
          this.failure = undefined;
          this.connected = true;
          this.lastHeard = Date.now();
        } else if (type === 'disconnect' && this.connected) {
          // Only a link that was up: a peer that fails the handshake is left to ZeroMQ's own
          // reconnection and its backoff, instead of a new socket at once, again and again.
          this.replace('disconnect');
        }
      },
    );
    connectSocket(socket, [this.settings.endpoint]);
    void this.read(socket);
    if (!this.writing) void this.pump();
  }

  // A new DEALER, whose first command is HELLO with the session: a new connection gets a new
  // routing identity, and what waited for the old one is dropped (the owner sends again after
  // WELCOME what still matters).
  private replace(reason: ReconnectReason): void {
    if (this.closed) return;
    this.counts.reconnects++;
    this.emitter.emit('reconnect', { endpoint: this.settings.endpoint, reason });
    const old = this.socket;
    old.linger = 0;
    old.close();
    this.counts.droppedOnReconnect += this.outbox.clear();
    this.openSocket();
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.outbox.length > 0) {
        const socket = this.socket;
        if (socket.closed) break;
        const frames = this.outbox.peek() as Buffer[];
        try {
          await socket.send(frames);
        } catch {
          // The socket was closed or replaced under the send: the outbox is the new socket's.
          if (socket !== this.socket || socket.closed) continue;
        }
        if (socket !== this.socket) continue;
        this.outbox.shift();
        this.lastSent = Date.now();
      }
    } finally {
      this.writing = false;
      if (this.outbox.length === 0) this.drainWaiters.resolveAll();
    }
  }

  private async read(socket: Dealer): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch {
        return; // closed
      }
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      let cmd: BrokerCommand;
      try {
        cmd = decodeBrokerCommand(frames);
      } catch (error) {
        this.counts.undecodable++;
        this.emitter.emit('protocol-error', {
          endpoint: this.settings.endpoint,
          error: error as ProtocolError,
        });
        continue;
      }
      if (cmd.type === 'HEARTBEAT') continue;
      if (cmd.type === 'WELCOME') this.welcome(cmd);
      else this.owner.command(cmd);
    }
  }

  private welcome(w: Extract<BrokerCommand, { type: 'WELCOME' }>): void {
    const info: SessionInfo = {
      session: w.session,
      epoch: w.epoch,
      heartbeatMs: w.heartbeat,
      maxMessageBytes: w.maxMessageBytes,
      resumed: w.resumed,
      reconnected: this.everWelcomed,
      voided: this.epoch !== undefined && (w.epoch !== this.epoch || !w.resumed),
    };
    this.everWelcomed = true;
    this.welcomed = true;
    this.session = w.session;
    this.epoch = w.epoch;
    this.maxMessageBytes = w.maxMessageBytes;
    if (w.heartbeat !== this.heartbeatMs) {
      this.heartbeatMs = w.heartbeat;
      this.startTimer();
    }
    this.owner.welcome(info);
    this.welcomeWaiters.resolveAll();
    this.emitter.emit('welcome', { endpoint: this.settings.endpoint, ...info });
  }

  // Checks twice an interval: a HEARTBEAT goes out after one interval with nothing sent, and a
  // broker silent for HEARTBEAT_LIVENESS intervals on a live connection gets a new DEALER.
  private startTimer(): void {
    clearInterval(this.timer);
    const interval = this.heartbeatMs;
    this.timer = setInterval(
      () => {
        if (!this.connected) return;
        const now = Date.now();
        if (now - this.lastHeard >= HEARTBEAT_LIVENESS * interval) {
          this.replace('heartbeat');
        } else if (now - this.lastSent >= interval && this.outbox.length === 0) {
          this.send(encodeHeartbeat());
        }
      },
      Math.max(1, Math.floor(interval / 2)),
    );
  }
}
