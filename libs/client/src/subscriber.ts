import {
  decodeEnvelope,
  decodeTyped,
  exactSubscription,
  OptionError,
  prefixSubscription,
  TopicError,
} from '@zmq-mq/protocol';
import type { Codec, CodecName, EnvelopeOf, TopicMap } from '@zmq-mq/protocol';
import { Subscriber as ZmqSubscriber } from 'zeromq';
import { DEFAULT_PUBLISH, parseCodec, parseEndpoints } from './options';
import type { UntypedTopics } from './producer-options';
import { receiverSettings, Receiver } from './receiver';
import type { ReceiverOptions } from './receiver';

export interface SubscriberOptions<M extends TopicMap> extends ReceiverOptions<M> {
  /** Broker publish endpoint(s); default `tcp://127.0.0.1:5556`. With several, streams merge. */
  connect?: string | readonly string[];
  /** Topic prefixes to receive (`'orders.'`); `''` is everything. */
  prefixes?: readonly string[];
  /** Exact topics to receive. */
  exact?: readonly string[];
  /**
   * Codec for bodies of an untyped subscriber whose message has no metadata frame (a bare
   * frame); otherwise the metadata's content type picks the codec. Default `json`.
   */
  codec?: CodecName | Codec<unknown>;
}

/**
 * The subscriptions the options ask for, checked before any socket exists: a bad prefix,
 * exact topic or topic-map key throws `OptionError` naming the option.
 */
function parseSubscriptions<M extends TopicMap>(options: SubscriberOptions<M>): Buffer[] {
  const list = (option: 'prefixes' | 'exact'): readonly unknown[] => {
    const value = options[option];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      throw new OptionError(option, value, 'must be an array of strings');
    }
    return value;
  };
  const each = (option: string, items: readonly unknown[], make: (s: string) => Buffer) =>
    items.map((item) => {
      if (typeof item !== 'string') throw new OptionError(option, item, 'must be a string');
      try {
        return make(item);
      } catch (err) {
        if (err instanceof TopicError) throw new OptionError(option, item, err.reason);
        throw err;
      }
    });
  const prefixes = each('prefixes', list('prefixes'), prefixSubscription);
  const exact = each('exact', list('exact'), exactSubscription);
  if (prefixes.length > 0 || exact.length > 0) return [...prefixes, ...exact];
  if (options.topics === undefined) return [Buffer.alloc(0)]; // everything
  return each('topics', Object.keys(options.topics), exactSubscription);
}

/**
 * Receives the broker's fan-out: a SUB connected to the publish endpoint(s), filtered by topic
 * prefix or exact topic. `for await (const env of subscriber)` yields decoded envelopes, typed
 * by the topic map. Without `prefixes` or `exact`, a typed subscriber takes exactly its map's
 * topics and an untyped one takes everything.
 */
export class Subscriber<M extends TopicMap = UntypedTopics> extends Receiver<EnvelopeOf<M>> {
  declare protected readonly socket: ZmqSubscriber;

  constructor(options: SubscriberOptions<M> = {}) {
    const endpoints = parseEndpoints('connect', options.connect, DEFAULT_PUBLISH);
    const codec = parseCodec('codec', options.codec, 'json');
    const topics = options.topics;
    const subscriptions = parseSubscriptions(options);
    const settings = receiverSettings(options, endpoints);
    const socket = new ZmqSubscriber(settings.socket);
    const decode =
      topics === undefined
        ? (frames: Buffer[]) => decodeEnvelope(frames, { codec }) as EnvelopeOf<M>
        : (frames: Buffer[]) => decodeTyped(topics, frames, 'publish');
    for (const subscription of subscriptions) socket.subscribe(subscription);
    super('subscriber', socket, endpoints, decode, options.onError, settings);
  }

  /** Adds a prefix subscription (`''` for everything). */
  subscribe(prefix: string): void {
    this.socket.subscribe(prefixSubscription(prefix));
  }

  /** Adds an exact-topic subscription. */
  subscribeExact(topic: string): void {
    this.socket.subscribe(exactSubscription(topic));
  }

  /** Removes a prefix subscription added before. */
  unsubscribe(prefix: string): void {
    this.socket.unsubscribe(prefixSubscription(prefix));
  }

  /** Removes an exact-topic subscription added before. */
  unsubscribeExact(topic: string): void {
    this.socket.unsubscribe(exactSubscription(topic));
  }
}
