import { decodeEnvelope, decodeTyped, decodeWorkItem } from '@zmq-mq/protocol';
import type { Codec, CodecName, EnvelopeOf, TopicMap } from '@zmq-mq/protocol';
import { Pull } from 'zeromq';
import { HandlerError } from './errors';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_PUSH,
  parseChoice,
  parseCodec,
  parseEndpoints,
  parseInteger,
  PUSH_FORMATS,
} from './options';
import type { PushFormat } from './options';
import type { UntypedTopics } from './producer-options';
import { receiverSettings, Receiver } from './receiver';
import type { ReceiverOptions, ReceiverStats } from './receiver';

export interface WorkerStats extends ReceiverStats {
  readonly handlerErrors: number;
}

export interface WorkerOptions<M extends TopicMap> extends ReceiverOptions<M> {
  /** Broker push endpoint(s); default `tcp://127.0.0.1:5557`. With several, work merges. */
  connect?: string | readonly string[];
  /** `'payload'` (default): the broker strips the topic; `'full'`: a broker run with push format full. */
  pushFormat?: PushFormat;
  /** Codec for bare work items of an untyped worker (no metadata frame); default `json`. */
  codec?: CodecName | Codec<unknown>;
}

export interface RunOptions {
  /** Handlers running at once (default 1). The next item is taken only when a slot is free. */
  concurrency?: number;
  /**
   * Called when a handler throws or rejects; the run goes on. Default: none (counted only). If
   * this hook throws in turn, that is counted in `stats().hookErrors` and emitted as a process
   * warning; the run still goes on.
   */
  onHandlerError?: (error: HandlerError) => void;
}

/**
 * Takes work from the broker's work queue: a PULL connected to the push endpoint(s). Each
 * message goes to one worker. `for await (const item of worker)` yields decoded work items
 * (the topic comes from the metadata frame); `run(handler, { concurrency })` processes them.
 */
export class Worker<M extends TopicMap = UntypedTopics> extends Receiver<EnvelopeOf<M>> {
  private handlerErrors = 0;

  constructor(options: WorkerOptions<M> = {}) {
    const endpoints = parseEndpoints('connect', options.connect, DEFAULT_PUSH);
    const codec = parseCodec('codec', options.codec, 'json');
    const format = parseChoice('pushFormat', options.pushFormat, PUSH_FORMATS, 'payload');
    const topics = options.topics;
    const settings = receiverSettings(options, endpoints);
    const socket = new Pull(settings.socket);
    let decode: (frames: Buffer[]) => EnvelopeOf<M>;
    if (topics !== undefined) {
      const source = format === 'full' ? 'push-full' : 'push-payload';
      decode = (frames) => decodeTyped(topics, frames, source);
    } else {
      const untyped = format === 'full' ? decodeEnvelope : decodeWorkItem;
      decode = (frames) => untyped(frames, { codec }) as EnvelopeOf<M>;
    }
    super('worker', socket, endpoints, decode, options.onError, settings);
  }

  /**
   * Runs `handler` on every work item until `close()`, with at most `concurrency` at once; the
   * next item is received only when a slot is free, so unstarted work stays with ZeroMQ.
   * A handler that throws is reported (`onHandlerError`, counted) and the run goes on.
   * Resolves after `close()`, once the handlers in flight have settled.
   */
  async run(handler: (item: EnvelopeOf<M>) => unknown, options: RunOptions = {}): Promise<void> {
    const limit = parseInteger('concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1);
    let active = 0;
    let wake: (() => void) | undefined;
    const finished = (): void => {
      active--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onHandlerError = options.onHandlerError;
    const failed = (item: EnvelopeOf<M>, err: unknown): void => {
      this.handlerErrors++;
      if (onHandlerError !== undefined) {
        this.callHook(
          'onHandlerError',
          onHandlerError,
          new HandlerError(item.topic, item.meta.id, err),
        );
      }
      finished();
    };
    const slotFree = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
    for await (const item of this) {
      active++;
      Promise.resolve(item)
        .then(handler)
        .then(finished, (err: unknown) => failed(item, err));
      while (active >= limit) await slotFree();
    }
    while (active > 0) await slotFree();
  }

  /** Receive counters plus `handlerErrors`: handlers that threw or rejected in `run()`. */
  override stats(): WorkerStats {
    return { ...super.stats(), handlerErrors: this.handlerErrors };
  }
}
