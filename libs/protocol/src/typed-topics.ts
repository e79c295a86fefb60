import type { Codec } from './codec';
import type { Envelope, SendMeta } from './envelope';
import { decodeEnvelope, decodeWorkItem, encodeEnvelope } from './envelope';
import { CodecError, UnknownTopicError, ValidationError } from './errors';
import { assertTopic } from './topics';

/**
 * How one topic's body is typed and encoded. `validate`, when given, runs on every received
 * body (untrusted input) and returns it typed or throws; its error becomes a `ValidationError`.
 */
export interface TopicSpec<T> {
  readonly codec: Codec<T>;
  readonly validate?: (body: unknown) => T;
}

/** A topic map: topic name to spec. Declare it once with `defineTopics` and share it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TopicMap = Record<string, TopicSpec<any>>;

/** The body type of topic `K` in map `M`. */
export type BodyOf<M extends TopicMap, K extends keyof M> =
  M[K] extends TopicSpec<infer T> ? T : never;

/** The topic names of map `M`. */
export type TopicOf<M extends TopicMap> = keyof M & string;

/** A received envelope of map `M`: a union discriminated by `topic`. */
export type EnvelopeOf<M extends TopicMap> = {
  [K in TopicOf<M>]: Envelope<BodyOf<M, K>> & { readonly topic: K };
}[TopicOf<M>];

/** A spec for one topic: `topic(msgpackCodec<Order>())`, or with a runtime validator. */
export function topic<T>(codec: Codec<T>, validate?: (body: unknown) => T): TopicSpec<T> {
  return validate === undefined ? { codec } : { codec, validate };
}

/** Checks every topic name once and returns the map unchanged, with its literal type kept. */
export function defineTopics<const M extends TopicMap>(map: M): M {
  for (const name of Object.keys(map)) assertTopic(name);
  return map;
}

/** Frames for `body` on `name`, encoded with the topic's codec, metadata frame included. */
export function encodeTyped<M extends TopicMap, K extends TopicOf<M>>(
  map: M,
  name: K,
  body: BodyOf<M, K>,
  meta?: SendMeta,
  withMeta = true,
): Buffer[] {
  const spec = specOf(map, name);
  if (spec === undefined) throw new UnknownTopicError(name);
  return encodeEnvelope(name, body, spec.codec, meta, withMeta);
}

// The map's own entry only: `toString` or `__proto__` is not a topic of the map.
function specOf(map: TopicMap, name: string): TopicSpec<unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(map, name) ? map[name] : undefined;
}

/** Where the frames came from: the publish side (`topic SP payload`) or the push side. */
export type FrameSource = 'publish' | 'push-payload' | 'push-full';

/**
 * Decodes frames into an envelope of map `M`, with the topic's codec and validator. Throws
 * `UnknownTopicError` for a topic not in the map, `CodecError` when the sender's content type
 * is not the topic's, `ValidationError` when the validator rejects the body, and the errors of
 * `decodeEnvelope`.
 */
export function decodeTyped<M extends TopicMap>(
  map: M,
  frames: readonly Uint8Array[],
  source: FrameSource = 'publish',
): EnvelopeOf<M> {
  const pass = { codec: passThrough, useContentType: false };
  const env =
    source === 'push-payload' ? decodeWorkItem(frames, pass) : decodeEnvelope(frames, pass);
  if (source === 'push-payload' && env.meta.bare) {
    throw new UnknownTopicError(
      '',
      'is unknown: a work item without a metadata frame has no topic (the broker strips it), ' +
        'so a typed Worker cannot pick its codec: send with metadata, or run the broker with ' +
        "--push-format full and the Worker with pushFormat: 'full'",
    );
  }
  const spec = specOf(map, env.topic);
  if (spec === undefined) throw new UnknownTopicError(env.topic);
  const { codec } = spec;
  if (!env.meta.bare && env.meta.contentType !== codec.contentType) {
    throw new CodecError(
      codec.name,
      'corrupt',
      `topic ${env.topic} uses ${codec.contentType} but the message says ${env.meta.contentType}`,
    );
  }
  let body: unknown = codec.decode(env.body as Uint8Array);
  if (spec.validate !== undefined) {
    try {
      body = spec.validate(body);
    } catch (cause) {
      throw new ValidationError(env.topic, (cause as Error).message ?? String(cause), { cause });
    }
  }
  // A bare frame names no content type: it was decoded with the topic's codec, so say that.
  const meta = env.meta.bare ? { ...env.meta, contentType: codec.contentType } : env.meta;
  return { ...env, meta, body } as EnvelopeOf<M>;
}

const passThrough: Codec<unknown> = {
  name: 'raw',
  contentType: 'application/octet-stream',
  encode: (value) => value as Uint8Array,
  decode: (bytes) => bytes,
};
