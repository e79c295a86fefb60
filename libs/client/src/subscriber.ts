import {
  decodeEnvelope,
  decodeTyped,
  exactSubscription,
  prefixSubscription,
} from '@zmq-mq/protocol';
import type { Codec, CodecName, EnvelopeOf, TopicMap } from '@zmq-mq/protocol';
import { Subscriber as ZmqSubscriber } from 'zeromq';
import { DEFAULT_PUBLISH, parseCodec, parseEndpoints } from './options';
import type { UntypedTopics } from './producer';
import { receiverSocketOptions, Receiver } from './receiver';
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
 * Receives the broker's fan-out: a SUB connected to the publish endpoint(s), filtered by topic
 * prefix or exact topic. `for await (const env of subscriber)` yields decoded envelopes, typed
 * by the topic map. Without `prefixes` or `exact`, a typed subscriber takes exactly its map's
 * topics and an untyped one takes everything.
 */
export class Subscriber<M extends TopicMap = UntypedTopics> extends Receiver<M, EnvelopeOf<M>> {
  declare protected readonly socket: ZmqSubscriber;

  constructor(options: SubscriberOptions<M> = {}) {
    const endpoints = parseEndpoints('connect', options.connect, DEFAULT_PUBLISH);
    const codec = parseCodec('codec', options.codec, 'json');
    const topics = options.topics;
    const socket = new ZmqSubscriber(receiverSocketOptions(options));
    const decode =
      topics === undefined
        ? (frames: Buffer[]) => decodeEnvelope(frames, { codec }) as EnvelopeOf<M>
        : (frames: Buffer[]) => decodeTyped(topics, frames, 'publish');
    try {
      const prefixes = options.prefixes ?? [];
      const exact = options.exact ?? [];
      if (prefixes.length === 0 && exact.length === 0) {
        if (topics === undefined) socket.subscribe();
        else for (const t of Object.keys(topics)) socket.subscribe(exactSubscription(t));
      }
      for (const p of prefixes) socket.subscribe(prefixSubscription(p));
      for (const t of exact) socket.subscribe(exactSubscription(t));
    } catch (err) {
      socket.linger = 0;
      socket.close();
      throw err;
    }
    super('subscriber', socket, endpoints, decode, options.onError, options);
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
