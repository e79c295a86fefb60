import type { Codec } from './codec';
import type { Envelope, SendMeta } from './envelope';
import { decodeEnvelope, decodeWorkItem, encodeEnvelope } from './envelope';
import {
  CodecError,
  OptionError,
  SchemaVersionError,
  UnknownTopicError,
  ValidationError,
} from './errors';
import { assertTopic } from './topics';

/**
 * How one topic's body is typed and encoded. `validate`, when given, runs on every received
 * body (untrusted input) and returns it typed or throws; its error becomes a `ValidationError`.
 * `version` is the schema version of `T`: senders write it in the metadata frame (`sv`), and
 * a receiver decodes a body only when it carries that version, or an older one that `upgrade`
 * turns into a `T`; any other version is a `SchemaVersionError`, the body left undecoded.
 */
export interface TopicSpec<T> {
  readonly codec: Codec<T>;
  readonly validate?: (body: unknown) => T;
  /** Schema version of `T`, an integer from 1; absent means 1. */
  readonly version?: number;
  /** Older versions this side still reads: version to a function from that body to a `T`. */
  readonly upgrade?: Readonly<Record<number, (body: unknown) => T>>;
}

/** The optional parts of a topic's spec, for `topic(codec, { … })`. */
export interface TopicOptions<T> {
  /** Runs on every received body (after an upgrade): returns it typed, or throws. */
  validate?: (body: unknown) => T;
  /** Schema version of `T` (default 1); raise it when the body's shape changes. */
  version?: number;
  /**
   * For each older version still read: a function turning its decoded body into a `T`
   * (the result then goes through `validate`). Versions without one are refused.
   */
  upgrade?: Readonly<Record<number, (body: unknown) => T>>;
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

/**
 * A spec for one topic: `topic(msgpackCodec<Order>())`, with a runtime validator
 * (`topic(codec, isOrder)`), or with a schema version and upgrades of older versions
 * (`topic(codec, { version: 2, validate: isOrder, upgrade: { 1: orderFromV1 } })`). Throws
 * `OptionError` for a version that is not an integer from 1, or an upgrade of a version that
 * is not older.
 */
export function topic<T>(
  codec: Codec<T>,
  options?: ((body: unknown) => T) | TopicOptions<T>,
): TopicSpec<T> {
  const { validate, version, upgrade } =
    typeof options === 'function' ? { validate: options } : (options ?? {});
  if (version !== undefined && !isVersion(version)) {
    throw new OptionError('version', version, 'must be an integer from 1');
  }
  if (upgrade !== undefined) {
    for (const [from, fn] of Object.entries(upgrade)) {
      const older = Number(from);
      if (!isVersion(older) || older >= (version ?? 1)) {
        throw new OptionError(
          `upgrade[${from}]`,
          from,
          `must be a version older than the topic's (${version ?? 1})`,
        );
      }
      if (typeof fn !== 'function') {
        throw new OptionError(`upgrade[${from}]`, fn, 'must be a function');
      }
    }
  }
  return {
    codec,
    ...(validate !== undefined ? { validate } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(upgrade !== undefined ? { upgrade } : {}),
  };
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** The schema versions a receiver with `spec` reads: its own, then those it upgrades, newest first. */
export function knownVersions(spec: TopicSpec<unknown>): number[] {
  const upgrades = Object.keys(spec.upgrade ?? {}).map(Number);
  return [spec.version ?? 1, ...upgrades.sort((a, b) => b - a)];
}

/** Checks every topic name once and returns the map unchanged, with its literal type kept. */
export function defineTopics<const M extends TopicMap>(map: M): M {
  for (const name of Object.keys(map)) assertTopic(name);
  return map;
}

/** The topics of map `M` whose names start with `P`. */
export type TopicsWithPrefix<M extends TopicMap, P extends string> = Pick<
  M,
  Extract<keyof M, `${P}${string}`>
>;

/**
 * The part of a topic map whose names start with `prefix` (`''` keeps all), typed as such:
 * a service that takes `orders.` from the team's map sends and receives only those. Throws
 * `UnknownTopicError` when no topic of the map starts with `prefix`.
 */
export function topicsWithPrefix<const M extends TopicMap, const P extends string>(
  map: M,
  prefix: P,
): TopicsWithPrefix<M, P> {
  const picked: TopicMap = {};
  for (const name of Object.keys(map)) {
    if (name.startsWith(prefix)) picked[name] = map[name] as TopicSpec<unknown>;
  }
  if (Object.keys(picked).length === 0) {
    throw new UnknownTopicError(prefix, 'starts no topic of the map (a prefix was expected)');
  }
  return picked as TopicsWithPrefix<M, P>;
}

/**
 * Frames for `body` on `name`, encoded with the topic's codec, metadata frame included (with
 * the topic's schema version when it is not 1).
 */
export function encodeTyped<M extends TopicMap, K extends TopicOf<M>>(
  map: M,
  name: K,
  body: BodyOf<M, K>,
  meta?: SendMeta,
  withMeta = true,
): Buffer[] {
  const spec = specOf(map, name);
  if (spec === undefined) throw new UnknownTopicError(name);
  return encodeEnvelope(name, body, spec.codec, { ...meta, schemaVersion: spec.version }, withMeta);
}

// The map's own entry only: `toString` or `__proto__` is not a topic of the map.
function specOf(map: TopicMap, name: string): TopicSpec<unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(map, name) ? map[name] : undefined;
}

/** Where the frames came from: the publish side (`topic SP payload`) or the push side. */
export type FrameSource = 'publish' | 'push-payload' | 'push-full';

/**
 * Decodes frames into an envelope of map `M`, with the topic's codec and validator. Throws
 * `UnknownTopicError` for a topic not in the map, `SchemaVersionError` for a schema version the
 * topic's spec neither has nor upgrades (before the body is decoded), `CodecError` when the
 * sender's content type is not the topic's, `ValidationError` when the validator rejects the
 * body, and the errors of `decodeEnvelope`.
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
  const version = env.meta.schemaVersion ?? 1;
  let body: unknown;
  if (version === (spec.version ?? 1)) {
    body = codec.decode(env.body as Uint8Array);
  } else {
    const upgrade = spec.upgrade?.[version];
    if (upgrade === undefined)
      throw new SchemaVersionError(env.topic, version, knownVersions(spec));
    body = upgradeBody(env.topic, version, upgrade, codec.decode(env.body as Uint8Array));
  }
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

// An upgrade that throws is a body its older schema does not describe: a validation failure.
function upgradeBody(
  topicName: string,
  version: number,
  upgrade: (body: unknown) => unknown,
  body: unknown,
): unknown {
  try {
    return upgrade(body);
  } catch (cause) {
    const why = (cause as Error).message ?? String(cause);
    throw new ValidationError(topicName, `upgrade from schema version ${version}: ${why}`, {
      cause,
    });
  }
}

const passThrough: Codec<unknown> = {
  name: 'raw',
  contentType: 'application/octet-stream',
  encode: (value) => value as Uint8Array,
  decode: (bytes) => bytes,
};
