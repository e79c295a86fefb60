import { EventEmitter } from 'node:events';
import {
  encodeEnvelope,
  encodePublish,
  encodeTyped,
  MAX_INT32,
  MessageTooLargeError,
  newMessageId,
  OptionError,
} from '@zmq-mq/protocol';
import type { BodyOf, Codec, CodecName, TopicMap, TopicOf } from '@zmq-mq/protocol';
import { BrokerError, ClosedError, NackError, TimeoutError } from './errors';
import { Waiters } from './links';
import { DEFAULT_READY_TIMEOUT_MS, parseCodec, parseInteger } from './options';
import type { SendOptions, UntypedTopics } from './producer-options';
import { ReliableLink } from './reliable-link';
import type { ReliableEvents, SessionCommand, SessionInfo } from './reliable-link';
import {
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_CONFIRM_WINDOW,
  DEFAULT_PUBLISH_BATCH,
  DEFAULT_PUBLISH_BATCH_BYTES,
  parseLinkSettings,
} from './reliable-options';
import type { ReliableOptions } from './reliable-options';

export interface ConfirmingProducerOptions<M extends TopicMap> extends ReliableOptions {
  /** Topic map: `send()` is typed by it and encodes with each topic's codec. */
  topics?: M;
  /** Codec of an untyped producer: `json` (default), `msgpack`, `raw` or a Codec. */
  codec?: CodecName | Codec<unknown>;
  /** Attach the metadata frame (default true); its `id` is the PUBLISH id. */
  metadata?: boolean;
  /** Sends waiting for their CONFIRM at most (default 1000); `send()` waits past it. */
  window?: number;
  /** How long `send()` waits for its CONFIRM or NACK, ms (default 30 000). */
  confirmTimeoutMs?: number;
  /** Messages in one PUBLISH at most (default 256). */
  maxBatch?: number;
  /** NACK (`no-queue`) a message that no queue takes, instead of confirming it (default false). */
  mandatory?: boolean;
}

export interface ConfirmingProducerStats {
  /** Messages accepted by `send()`. */
  readonly accepted: number;
  /** PUBLISH commands written, and the messages in them (re-sends included). */
  readonly batches: number;
  readonly published: number;
  readonly confirmed: number;
  readonly nacked: number;
  readonly timedOut: number;
  /** Messages sent again with the same id after a reconnection or a new epoch. */
  readonly resent: number;
  /** CONFIRM or NACK for an id no longer waiting (timed out, or answered twice). */
  readonly lateAnswers: number;
  /** Messages whose `send()` was rejected by `close()` before an answer came. */
  readonly droppedOnClose: number;
  /** Sends waiting for a CONFIRM now, and sends waiting for room in the window. */
  readonly unconfirmed: number;
  readonly waiting: number;
  readonly reconnects: number;
  readonly undecodable: number;
}

/** Events of a ConfirmingProducer: connection and session events, and ERROR replies. */
export interface ConfirmingProducerEvents extends ReliableEvents {
  'broker-error': [BrokerError];
}

interface Pending {
  readonly id: string;
  readonly frames: Buffer[];
  readonly bytes: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** The link generation it was last written on; 0: not yet written. */
  generation: number;
  done: boolean;
}

/**
 * Publishes with confirms on the broker's reliable port: `await send()` resolves once the
 * broker has stored the message durably in every matching queue (CONFIRM), and rejects with
 * `NackError` when it refuses it or `TimeoutError` when no answer comes in time. Sends made in
 * one event-loop turn go out together in PUBLISH commands; at most `window` wait for their
 * answer at once. A lost link, or a broker silent for 3 heartbeats, gets a new DEALER that
 * resumes the session and sends every unanswered message again with its id (the broker's
 * dedup stores it once). See libs/client/README.md, "Confirmed sends".
 */
export class ConfirmingProducer<
  M extends TopicMap = UntypedTopics,
> extends EventEmitter<ConfirmingProducerEvents> {
  private readonly link: ReliableLink;
  private readonly topics: M | undefined;
  private readonly codec: Codec<unknown>;
  private readonly metadata: boolean;
  private readonly window: number;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  private readonly mandatory: boolean;
  private readonly closeTimeoutMs: number;
  /** Accepted and unanswered, in acceptance order (which is deadline order). */
  private readonly pending = new Map<string, Pending>();
  /** Accepted, not yet written in a PUBLISH. */
  private queued: Pending[] = [];
  /** Sends waiting for room in the window, in order. */
  private readonly waiting: Pending[] = [];
  private readonly idleWaiters = new Waiters();
  private flushScheduled = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | undefined;
  private counts = {
    accepted: 0,
    batches: 0,
    published: 0,
    confirmed: 0,
    nacked: 0,
    timedOut: 0,
    resent: 0,
    lateAnswers: 0,
    droppedOnClose: 0,
  };

  constructor(options: ConfirmingProducerOptions<M> = {}) {
    super();
    const settings = parseLinkSettings(options);
    this.topics = options.topics;
    this.codec = parseCodec('codec', options.codec, 'json');
    this.metadata = options.metadata ?? true;
    this.window = parseInteger('window', options.window, DEFAULT_CONFIRM_WINDOW, 1, MAX_INT32);
    this.timeoutMs = parseInteger(
      'confirmTimeoutMs',
      options.confirmTimeoutMs,
      DEFAULT_CONFIRM_TIMEOUT_MS,
      1,
      MAX_INT32,
    );
    this.maxBatch = parseInteger('maxBatch', options.maxBatch, DEFAULT_PUBLISH_BATCH, 1, 65_535);
    this.mandatory = options.mandatory ?? false;
    this.closeTimeoutMs = settings.closeTimeoutMs;
    this.link = new ReliableLink(
      settings,
      { welcome: (info) => this.onWelcome(info), command: (cmd) => this.onCommand(cmd) },
      this,
    );
    const sweepMs = Math.max(5, Math.min(1000, Math.floor(this.timeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
  }

  /**
   * Encodes `body` with the topic's codec (or the default codec when untyped) and publishes it
   * with confirm. Resolves on CONFIRM. Rejects with `NackError` (the broker's `reason`, and the
   * `queue` and `limit` that refused it), `TimeoutError` after `confirmTimeoutMs`,
   * `MessageTooLargeError` past the broker's `maxMessageBytes`, an encoding error, or
   * `ClosedError`. Waits while `window` sends are unanswered. `options.id` sets the message id
   * (default a UUID), which must not be waiting already.
   */
  async send<K extends TopicOf<M>>(
    topic: K,
    body: BodyOf<M, K>,
    options?: SendOptions,
  ): Promise<void> {
    if (this.closed) throw new ClosedError('producer');
    const id = options?.id ?? newMessageId();
    const meta = { ...options, id };
    const withMeta = options?.metadata ?? this.metadata;
    const frames =
      this.topics === undefined
        ? encodeEnvelope(topic, body, this.codec, meta, withMeta)
        : encodeTyped(this.topics, topic, body, meta, withMeta);
    let bytes = 0;
    for (const f of frames) bytes += f.byteLength;
    if (bytes > this.link.maxMessageBytes) {
      throw new MessageTooLargeError(bytes, this.link.maxMessageBytes);
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        id,
        frames,
        bytes,
        deadline: Date.now() + this.timeoutMs,
        resolve,
        reject,
        generation: 0,
        done: false,
      };
      if (this.pending.size >= this.window || this.waiting.length > 0) this.waiting.push(entry);
      else this.accept(entry);
    });
  }

  /** Resolves at the broker's first WELCOME; `NotReadyError` after `timeoutMs`, or `ClosedError`. */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    return this.link.ready(timeoutMs, () => this.link.notReady(timeoutMs));
  }

  /** Resolves once every accepted send has its answer; `TimeoutError` after `timeoutMs`. */
  flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return this.idleWaiters.wait(
      timeoutMs,
      () => new TimeoutError('flush', timeoutMs, this.pending.size + this.waiting.length),
    );
  }

  /**
   * Stops accepting sends, waits up to `closeTimeoutMs` for the answers to those accepted, then
   * rejects what is left with `ClosedError` (counted in `droppedOnClose`: the broker may still
   * store them), says BYE and closes the socket. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): ConfirmingProducerStats {
    const link = this.link.counters();
    return {
      ...this.counts,
      unconfirmed: this.pending.size,
      waiting: this.waiting.length,
      reconnects: link.reconnects,
      undecodable: link.undecodable,
    };
  }

  // After a reconnection everything unanswered goes again, with its id: what was written on an
  // older DEALER may never have reached the broker, and dedup stores a message once.
  private onWelcome(info: SessionInfo): void {
    if (!info.reconnected) return;
    const again: Pending[] = [];
    for (const entry of this.pending.values()) {
      if (entry.generation !== 0 && entry.generation !== this.link.generation) again.push(entry);
    }
    this.counts.resent += again.length;
    this.publish(again);
  }

  private onCommand(cmd: SessionCommand): void {
    if (cmd.type === 'CONFIRM') {
      for (const id of cmd.ids) this.answer(id)?.resolve();
      this.counts.confirmed += cmd.ids.length;
    } else if (cmd.type === 'NACK') {
      for (const entry of cmd.entries) this.answer(entry.id)?.reject(new NackError(entry));
      this.counts.nacked += cmd.entries.length;
    } else if (cmd.type === 'ERROR') {
      this.emit('broker-error', new BrokerError(cmd));
    }
    this.admit();
  }

  private answer(id: string): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      this.counts.lateAnswers++;
      return undefined;
    }
    this.pending.delete(id);
    entry.done = true;
    return entry;
  }

  private flushQueued(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    this.publish(batch.filter((e) => !e.done));
  }

  // PUBLISH commands of at most maxBatch messages and DEFAULT_PUBLISH_BATCH_BYTES bytes.
  private publish(entries: readonly Pending[]): void {
    let start = 0;
    while (start < entries.length) {
      let end = start;
      let bytes = 0;
      while (
        end < entries.length &&
        end - start < this.maxBatch &&
        (end === start || bytes + (entries[end] as Pending).bytes <= DEFAULT_PUBLISH_BATCH_BYTES)
      ) {
        bytes += (entries[end] as Pending).bytes;
        end++;
      }
      const batch = entries.slice(start, end);
      this.link.send(
        encodePublish(
          batch.map((e) => e.id),
          batch.map((e) => e.frames),
          this.mandatory,
        ),
      );
      for (const e of batch) e.generation = this.link.generation;
      this.counts.batches++;
      this.counts.published += batch.length;
      start = end;
    }
  }

  // Rejects the sends whose deadline passed, waiting for room or for an answer. Deadlines are
  // set in send() order and both lists keep that order: each scan stops at the first send in time.
  private sweep(): void {
    const now = Date.now();
    const expire = (entry: Pending): void => {
      entry.done = true;
      this.counts.timedOut++;
      const left = this.pending.size + this.waiting.length;
      entry.reject(new TimeoutError(`confirm of message ${entry.id}`, this.timeoutMs, left));
    };
    for (const entry of this.pending.values()) {
      if (entry.deadline > now) break;
      this.pending.delete(entry.id);
      expire(entry);
    }
    while (this.waiting.length > 0 && (this.waiting[0] as Pending).deadline <= now) {
      expire(this.waiting.shift() as Pending);
    }
    this.admit();
  }

  private accept(entry: Pending): void {
    if (this.pending.has(entry.id)) {
      entry.reject(
        new OptionError('id', entry.id, 'is the id of a send still waiting for its confirm'),
      );
      return;
    }
    this.pending.set(entry.id, entry);
    this.queued.push(entry);
    this.counts.accepted++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushQueued());
    }
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.pending.size < this.window) {
      this.accept(this.waiting.shift() as Pending);
    }
    if (this.idle()) this.idleWaiters.resolveAll();
  }

  private idle(): boolean {
    return this.pending.size === 0 && this.waiting.length === 0;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await this.flush(this.closeTimeoutMs).catch(() => undefined); // what is left is handled below
    clearInterval(this.sweepTimer);
    const closed = new ClosedError('producer');
    for (const entry of [...this.pending.values(), ...this.waiting.splice(0)]) {
      entry.done = true;
      this.counts.droppedOnClose++;
      entry.reject(closed);
    }
    this.pending.clear();
    this.idleWaiters.rejectAll(closed);
    await this.link.close(closed);
  }
}
