import { EventEmitter } from 'node:events';
import {
  encodeCancel,
  encodeConsume,
  encodeDeclare,
  MAX_CREDIT,
  MAX_INT32,
  OptionError,
} from '@zmq-mq/protocol';
import type { DeclaredQueue, Envelope, QueueDeclaration, TopicMap } from '@zmq-mq/protocol';
import { BrokerError, BusyError, ClosedError, HandlerError } from './errors';
import { Waiters } from './links';
import { DEFAULT_CONCURRENCY, DEFAULT_READY_TIMEOUT_MS, parseInteger } from './options';
import type { UntypedTopics } from './producer-options';
import { DeliveryHandle } from './queue-delivery';
import type { QueueDelivery, Settlements } from './queue-delivery';
import { parseQueueWorkerOptions } from './queue-worker-options';
import type {
  QueueRunOptions,
  QueueWorkerEvents,
  QueueWorkerOptions,
  QueueWorkerStats,
} from './queue-worker-options';
import type { DecodeErrorHook } from './receiver';
import { ReliableLink } from './reliable-link';
import type { SessionCommand, SessionInfo } from './reliable-link';
import { backoffDelay } from './reliable-options';
import type { BackoffOptions } from './reliable-options';
import { SettlementBatch } from './settlement-batch';

const MAX_REASON_CHARS = 1000;

/**
 * Consumes a durable queue on the broker's reliable port, at least once: each delivery is
 * leased until acknowledged. `run(handler, { concurrency })` acks when the handler resolves and
 * naks with exponential backoff when it throws; `for await (const d of worker)` hands out
 * deliveries to settle with `d.ack()`, `d.nak(delayMs)`, `d.term(reason)`, `d.progress()`.
 * Acknowledgements are batched. A lost link, or a broker silent for 3 heartbeats, gets a new
 * DEALER that resumes the session and consumes again; a new epoch voids the deliveries held
 * (they will come again). See libs/client/README.md, "Queue workers".
 */
export class QueueWorker<M extends TopicMap = UntypedTopics>
  extends EventEmitter<QueueWorkerEvents>
  implements AsyncIterable<QueueDelivery<M>>
{
  readonly queue: string;
  private readonly link: ReliableLink;
  private readonly declaration: Omit<QueueDeclaration, 'queue'> | undefined;
  private readonly decode: (frames: Buffer[]) => Envelope<unknown>;
  private readonly credit: number;
  private readonly ackWaitMs: number | undefined;
  private readonly backoff: Required<BackoffOptions>;
  private readonly onError: DecodeErrorHook | undefined;
  private readonly closeTimeoutMs: number;
  private readonly sink: Settlements;
  /** Delivered and not settled, by tag. */
  private readonly held = new Map<number, DeliveryHandle>();
  /** Delivered and not yet handed to the reader, in order. */
  private buffer: DeliveryHandle[] = [];
  private wakeReader: (() => void) | undefined;
  private wakeSlot: (() => void) | undefined;
  /** Increases when a WELCOME voids the tags held. */
  private generation = 1;
  private consuming: { credit: number } | undefined;
  private consumeError: Error | undefined;
  private reading = false;
  private declared = false;
  private pendingDeclare: QueueDeclaration | undefined;
  private readonly declareWaiters: Array<{
    resolve: (d: DeclaredQueue) => void;
    reject: (e: Error) => void;
  }> = [];
  private readonly settlements: SettlementBatch;
  private active = 0;
  private readonly idleWaiters = new Waiters();
  private hookWarned = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private counts = {
    delivered: 0,
    undecodable: 0,
    acked: 0,
    naked: 0,
    termed: 0,
    progressed: 0,
    stale: 0,
    handlerErrors: 0,
    hookErrors: 0,
    beyondCredit: 0,
  };

  constructor(options: QueueWorkerOptions<M>) {
    super();
    const settings = parseQueueWorkerOptions(options);
    this.queue = settings.queue;
    this.declaration = settings.declaration;
    this.decode = settings.decode;
    this.credit = settings.credit;
    this.ackWaitMs = settings.ackWaitMs;
    this.backoff = settings.backoff;
    this.onError = settings.onError;
    this.closeTimeoutMs = settings.link.closeTimeoutMs;
    this.sink = {
      settle: (d, outcome, detail) => this.settle(d, outcome, detail),
      progress: (d) => this.progress(d),
    };
    this.link = new ReliableLink(
      settings.link,
      { welcome: (info) => this.onWelcome(info), command: (cmd) => this.onCommand(cmd) },
      this,
    );
    this.settlements = new SettlementBatch(settings.ackFlushMs, settings.ackBatch, this.link);
  }

  /** Resolves at the broker's first WELCOME; `NotReadyError` after `timeoutMs`, or `ClosedError`. */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('queue worker'));
    return this.link.ready(timeoutMs, () => this.link.notReady(timeoutMs));
  }

  /**
   * Declares the queue (DECLARE) with `definition` (default: the `declare` option) and resolves
   * with the definition as the broker stores it; rejects with `BrokerError` or `ClosedError`.
   */
  declare(definition = this.declaration): Promise<DeclaredQueue> {
    if (this.closed) return Promise.reject(new ClosedError('queue worker'));
    if (definition === undefined) {
      return Promise.reject(new OptionError('declare', definition, 'needs { prefixes, ... }'));
    }
    const declaration = { ...definition, queue: this.queue };
    let frames: Buffer[];
    try {
      frames = encodeDeclare(declaration);
    } catch (err) {
      return Promise.reject(new OptionError('declare', definition, (err as Error).message));
    }
    this.pendingDeclare = declaration;
    this.link.send(frames);
    return new Promise((resolve, reject) => this.declareWaiters.push({ resolve, reject }));
  }

  /**
   * Deliveries in arrival order until `close()`, with `credit` (option, default 1) of them
   * unacknowledged at most: settle each with `ack()`, `nak()` or `term()`. One reader at a time
   * (`BusyError`). Breaking out of the loop cancels the consumer and NAKs what was delivered
   * but not yet handed out. Throws `BrokerError` when the broker refuses to consume the queue.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<QueueDelivery<M>, void, undefined> {
    await this.startConsuming(this.credit);
    try {
      for (;;) {
        const d = await this.next();
        if (d === undefined) return;
        yield d as unknown as QueueDelivery<M>;
      }
    } finally {
      this.stopConsuming();
    }
  }

  /**
   * Runs `handler` on every delivery until `close()`, `concurrency` at once (also the credit
   * asked of the broker). A handler that resolves acks its delivery, one that throws or
   * rejects naks it with the backoff delay of its attempt (`onHandlerError` hears of it),
   * unless the handler settled it itself. Resolves after `close()`, once the handlers in
   * flight have settled; rejects with `BrokerError` when the broker refuses to consume.
   */
  async run(
    handler: (delivery: QueueDelivery<M>) => unknown,
    options: QueueRunOptions = {},
  ): Promise<void> {
    const limit = parseInteger(
      'concurrency',
      options.concurrency,
      DEFAULT_CONCURRENCY,
      1,
      MAX_CREDIT,
    );
    const onHandlerError = options.onHandlerError;
    await this.startConsuming(limit);
    const done = (): void => {
      this.active--;
      const wake = this.wakeSlot;
      this.wakeSlot = undefined;
      wake?.();
      if (this.active === 0) this.idleWaiters.resolveAll();
    };
    const failed = (d: DeliveryHandle, err: unknown): void => {
      this.counts.handlerErrors++;
      if (!d.settled) d.nak(backoffDelay(d.attempt, this.backoff));
      if (onHandlerError !== undefined) {
        const meta = d.meta;
        this.callHook(onHandlerError, new HandlerError(d.topic, meta?.id ?? '', err));
      }
    };
    try {
      for (;;) {
        while (this.active >= limit) await new Promise<void>((r) => (this.wakeSlot = r));
        const d = await this.next();
        if (d === undefined) break;
        this.active++;
        Promise.resolve(d as unknown as QueueDelivery<M>)
          .then(handler)
          .then(
            () => {
              if (!d.settled) d.ack();
            },
            (err: unknown) => failed(d, err),
          )
          .finally(done);
      }
      while (this.active > 0) await new Promise<void>((r) => (this.wakeSlot = r));
    } finally {
      this.stopConsuming();
    }
  }

  /**
   * Cancels the consumer, waits up to `closeTimeoutMs` for `run()` handlers in flight, sends the
   * acknowledgements pending, says BYE (the broker returns the leases still held to the queue
   * at once) and closes the socket. An iteration ends; a `run()` resolves. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): QueueWorkerStats {
    const link = this.link.counters();
    return {
      ...this.counts,
      held: this.held.size,
      buffered: this.buffer.length,
      reconnects: link.reconnects,
      undecodableCommands: link.undecodable,
    };
  }

  private async startConsuming(credit: number): Promise<void> {
    if (this.closed) throw new ClosedError('queue worker');
    if (this.reading) throw new BusyError('queue worker');
    this.reading = true;
    this.consumeError = undefined;
    try {
      if (this.declaration !== undefined && !this.declared) {
        await this.declare();
        this.declared = true;
      }
    } catch (err) {
      this.reading = false;
      throw err;
    }
    this.consuming = { credit };
    this.settlements.credit = credit;
    this.sendConsume();
  }

  private stopConsuming(): void {
    this.reading = false;
    if (this.consuming === undefined) return;
    this.consuming = undefined;
    if (this.closed) return; // BYE returns every lease
    this.link.send(encodeCancel(this.queue));
    for (const d of this.buffer.splice(0)) d.nak();
  }

  private sendConsume(): void {
    if (this.consuming === undefined) return;
    const body = { queue: this.queue, credit: this.consuming.credit };
    this.link.send(
      encodeConsume(this.ackWaitMs === undefined ? body : { ...body, ackWaitMs: this.ackWaitMs }),
    );
  }

  private async next(): Promise<DeliveryHandle | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      if (this.consumeError !== undefined) throw this.consumeError;
      const d = this.buffer.shift();
      if (d !== undefined) return d;
      await new Promise<void>((r) => (this.wakeReader = r));
    }
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private onWelcome(info: SessionInfo): void {
    if (info.voided) {
      this.generation++;
      this.held.clear();
      this.buffer = [];
      this.counts.stale += this.settlements.drop();
    }
    if (info.reconnected) {
      if (this.pendingDeclare !== undefined) this.link.send(encodeDeclare(this.pendingDeclare));
      this.sendConsume();
    }
    this.settlements.flush(); // what waited for this WELCOME
  }

  private onCommand(cmd: SessionCommand): void {
    switch (cmd.type) {
      case 'DELIVER':
        this.onDeliver(cmd.queue, cmd.tags, cmd.attempts, cmd.messages);
        break;
      case 'DECLARED': {
        if (cmd.queue !== this.queue) break;
        this.pendingDeclare = undefined;
        const { type: _, ...definition } = cmd;
        for (const w of this.declareWaiters.splice(0)) w.resolve(definition);
        break;
      }
      case 'ERROR': {
        const error = new BrokerError(cmd);
        if (cmd.command === 'DECLARE') {
          this.pendingDeclare = undefined;
          for (const w of this.declareWaiters.splice(0)) w.reject(error);
        } else if (cmd.command === 'CONSUME' && this.consuming !== undefined) {
          this.consumeError = error;
          this.wake();
        }
        this.emit('broker-error', error);
        break;
      }
      default:
        break; // CONSUMING, CANCELLED, and what only producers hear
    }
  }

  private onDeliver(queue: string, tags: number[], attempts: number[], messages: Buffer[][]): void {
    for (let i = 0; i < tags.length; i++) {
      const frames = messages[i] as Buffer[];
      const d = new DeliveryHandle(
        this.sink,
        queue,
        tags[i] as number,
        attempts[i] as number,
        frames,
        this.generation,
      );
      this.counts.delivered++;
      this.held.set(d.tag, d);
      if (queue !== this.queue || this.consuming === undefined) {
        d.nak(); // not ours (any more): let another consumer have it
        continue;
      }
      let env: Envelope<unknown>;
      try {
        env = this.decode(frames);
      } catch (err) {
        this.counts.undecodable++;
        if (this.onError !== undefined) this.callHook(this.onError, err as Error, frames);
        d.term(`undecodable: ${(err as Error).message}`);
        continue;
      }
      d.topic = env.topic;
      d.body = env.body;
      d.meta = env.meta;
      this.buffer.push(d);
    }
    if (this.consuming !== undefined && this.held.size > this.consuming.credit) {
      this.counts.beyondCredit += this.held.size - this.consuming.credit;
    }
    this.wake();
  }

  private settle(
    d: DeliveryHandle,
    outcome: 'ack' | 'nak' | 'term',
    detail?: number | string,
  ): void {
    if (outcome === 'nak' && detail !== undefined) {
      if (
        typeof detail !== 'number' ||
        !Number.isInteger(detail) ||
        detail < 0 ||
        detail > MAX_INT32
      ) {
        throw new OptionError('nak delayMs', detail, `must be an integer 0..${MAX_INT32}`);
      }
    }
    if (d.settled) return;
    d.settled = true;
    if (d.generation !== this.generation) {
      this.counts.stale++;
      return;
    }
    this.held.delete(d.tag);
    if (outcome === 'ack') {
      this.settlements.ack(d.tag);
      this.counts.acked++;
    } else if (outcome === 'nak') {
      this.settlements.nak(d.tag, detail as number | undefined);
      this.counts.naked++;
    } else {
      const reason = detail === undefined ? undefined : String(detail).slice(0, MAX_REASON_CHARS);
      this.settlements.term(d.tag, reason);
      this.counts.termed++;
    }
  }

  private progress(d: DeliveryHandle): void {
    if (d.settled || d.generation !== this.generation) return;
    this.settlements.progress(d.tag);
    this.counts.progressed++;
  }

  private callHook<A extends unknown[]>(hook: (...args: A) => void, ...args: A): void {
    try {
      hook(...args);
    } catch (err) {
      this.counts.hookErrors++;
      if (this.hookWarned) return;
      this.hookWarned = true; // once per worker; the count says how often
      process.emitWarning(`zmq-mq queue worker: a hook threw; going on: ${String(err)}`, {
        type: 'ZmqMqWarning',
        code: 'ZMQMQ_HOOK_THREW',
      });
    }
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    const closed = new ClosedError('queue worker');
    if (this.consuming !== undefined) this.link.send(encodeCancel(this.queue));
    this.wake();
    if (this.active > 0) {
      await this.idleWaiters.wait(this.closeTimeoutMs, () => closed).catch(() => undefined); // what is left is handled below
    }
    this.settlements.flush();
    for (const w of this.declareWaiters.splice(0)) w.reject(closed);
    await this.link.close(closed);
  }
}
