import { randomUUID } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { Codec } from './codec';
import { codecForContentType, wireInteger } from './codec';
import { CodecError, MetaError } from './errors';
import { asBuffer, encodeFrame, parseFrame } from './frame';
import { assertTopic } from './topics';

/** Version of the metadata frame's layout (`v`). */
export const META_VERSION = 1;

/** What travels with a message besides topic and body. */
export interface Meta {
  /** Unique message id (a UUID from our clients); `''` for a bare frame, which carries none. */
  readonly id: string;
  /** Milliseconds since the epoch: when it was sent, or when it was received for a bare frame. */
  readonly timestamp: number;
  /** MIME type of the body (`application/json`, `application/msgpack`, `application/octet-stream`). */
  readonly contentType: string;
  /** The topic, carried so that work items keep it after the broker strips it from frame 0. */
  readonly topic?: string;
  /** Application headers, string to string. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Schema version of the body (`sv`), present when the frame carries one; absent means 1.
   * Typed senders write their topic's version when it is not 1 (see `TopicSpec.version`).
   */
  readonly schemaVersion?: number;
  /** True when the message had no metadata frame and these are defaults. */
  readonly bare: boolean;
}

/** A decoded message. */
export interface Envelope<T> {
  readonly topic: string;
  readonly body: T;
  readonly meta: Meta;
}

/** Options for the metadata of a message being sent. */
export interface SendMeta {
  id?: string;
  timestamp?: number;
  headers?: Record<string, string>;
}

/** The metadata `encodeEnvelope` writes: what a sender gives, and the body's schema version. */
export interface EnvelopeMeta extends SendMeta {
  /** Schema version of the body; 1 (the default) is not written. */
  schemaVersion?: number;
}

// The metadata frame is a msgpack map with short keys; see libs/protocol/README.md.
interface WireMeta {
  v: number;
  id: string;
  ts: number | bigint;
  ct: string;
  t?: string;
  h?: Record<string, string>;
  sv?: number;
}

const metaPackr = new Packr({
  useRecords: false,
  structuredClone: false, // no ids and references: a frame cannot decode into a cycle
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'number',
});

/** A fresh message id (UUID v4). */
export function newMessageId(): string {
  return randomUUID();
}

/**
 * Encodes the metadata frame; a whole-millisecond `timestamp` is written as an integer.
 * Throws `MetaError` for a frame that `decodeMeta` would refuse (a timestamp that is NaN or
 * infinite, an id, content type, topic or header value that is not a string), so that a
 * sender hears of it instead of every receiver.
 */
export function encodeMeta(meta: Omit<Meta, 'bare'>): Buffer {
  const bad = (what: string): never => {
    throw new MetaError(`cannot send metadata: ${what}`);
  };
  if (typeof meta.id !== 'string') bad(`\`id\` must be a string, got ${typeof meta.id}`);
  if (typeof meta.timestamp !== 'number' || !Number.isFinite(meta.timestamp)) {
    bad(`\`timestamp\` must be a finite number of milliseconds, got ${String(meta.timestamp)}`);
  }
  if (typeof meta.contentType !== 'string') bad('`contentType` must be a string');
  if (meta.topic !== undefined && typeof meta.topic !== 'string') bad('`topic` must be a string');
  if (meta.headers !== undefined) {
    if (meta.headers === null || typeof meta.headers !== 'object' || Array.isArray(meta.headers)) {
      bad('`headers` must be an object of strings');
    }
    for (const [name, value] of Object.entries(meta.headers)) {
      if (typeof value !== 'string') bad(`header ${JSON.stringify(name)} must be a string`);
    }
  }
  if (meta.schemaVersion !== undefined && !isSchemaVersion(meta.schemaVersion)) {
    bad(`\`schemaVersion\` must be an integer from 1, got ${String(meta.schemaVersion)}`);
  }
  const wire: WireMeta = {
    v: META_VERSION,
    id: meta.id,
    ts: wireInteger(meta.timestamp),
    ct: meta.contentType,
  };
  if (meta.topic !== undefined) wire.t = meta.topic;
  if (meta.headers !== undefined) wire.h = { ...meta.headers };
  if (meta.schemaVersion !== undefined && meta.schemaVersion !== 1) wire.sv = meta.schemaVersion;
  return metaPackr.pack(wire);
}

/**
 * Decodes the metadata frame (`ts` may be an int of any width or a float); throws `MetaError`
 * saying what is wrong.
 */
export function decodeMeta(bytes: Uint8Array): Meta {
  let wire: unknown;
  try {
    wire = metaPackr.unpack(asBuffer(bytes));
  } catch (cause) {
    throw new MetaError(`metadata frame is not valid msgpack: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (wire === null || typeof wire !== 'object' || Array.isArray(wire)) {
    throw new MetaError('metadata frame is not a msgpack map');
  }
  const w = wire as Partial<Record<keyof WireMeta, unknown>>;
  if (typeof w.v !== 'number' || w.v < 1) throw new MetaError('metadata frame has no version `v`');
  if (typeof w.id !== 'string') throw new MetaError('metadata field `id` must be a string');
  if (typeof w.ts !== 'number' || !Number.isFinite(w.ts)) {
    throw new MetaError('metadata field `ts` must be a number of milliseconds');
  }
  if (typeof w.ct !== 'string') throw new MetaError('metadata field `ct` must be a string');
  if (w.t !== undefined && typeof w.t !== 'string') {
    throw new MetaError('metadata field `t` must be a string');
  }
  let headers: Record<string, string> | undefined;
  if (w.h !== undefined) {
    if (w.h === null || typeof w.h !== 'object' || Array.isArray(w.h)) {
      throw new MetaError('metadata field `h` must be a map');
    }
    for (const value of Object.values(w.h)) {
      if (typeof value !== 'string') throw new MetaError('metadata header values must be strings');
    }
    headers = w.h as Record<string, string>;
  }
  if (w.sv !== undefined && !isSchemaVersion(w.sv)) {
    throw new MetaError('metadata field `sv` must be an integer from 1');
  }
  return {
    id: w.id,
    timestamp: w.ts,
    contentType: w.ct,
    bare: false,
    ...(w.t !== undefined ? { topic: w.t } : {}),
    ...(headers !== undefined ? { headers } : {}),
    ...(w.sv !== undefined ? { schemaVersion: w.sv } : {}),
  };
}

/** A schema version: a safe integer from 1. */
function isSchemaVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Defaults for a message that came without a metadata frame. */
export function bareMeta(contentType: string, topic?: string): Meta {
  return {
    id: '',
    timestamp: Date.now(),
    contentType,
    bare: true,
    ...(topic !== undefined ? { topic } : {}),
  };
}

/**
 * The frames of a message: frame 0 (`topic SP payload`) and, unless `withMeta` is false,
 * the metadata frame. A plain ZeroMQ subscriber sees frame 0 exactly as a bare client sends it.
 */
export function encodeEnvelope<T>(
  topic: string,
  body: T,
  codec: Codec<T>,
  meta: EnvelopeMeta = {},
  withMeta = true,
): Buffer[] {
  assertTopic(topic);
  const frame = encodeFrame(topic, codec.encode(body));
  if (!withMeta) return [frame];
  return [
    frame,
    encodeMeta({
      id: meta.id ?? newMessageId(),
      timestamp: meta.timestamp ?? Date.now(),
      contentType: codec.contentType,
      topic,
      ...(meta.headers !== undefined ? { headers: meta.headers } : {}),
      ...(meta.schemaVersion !== undefined ? { schemaVersion: meta.schemaVersion } : {}),
    }),
  ];
}

/** How to pick the codec of a received body. */
export interface DecodeOptions {
  /** Codec for bodies whose content type is absent (bare frames) or not a built-in one. */
  codec: Codec<unknown>;
  /** When true (the default), a metadata frame's content type picks the built-in codec. */
  useContentType?: boolean;
}

function pickCodec(meta: Meta, options: DecodeOptions): Codec<unknown> {
  if (meta.bare || options.useContentType === false) return options.codec;
  if (meta.contentType === options.codec.contentType) return options.codec;
  return codecForContentType(meta.contentType) ?? options.codec;
}

function decodeBody(codec: Codec<unknown>, payload: Buffer): unknown {
  try {
    return codec.decode(payload);
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError(codec.name, 'corrupt', (err as Error).message, {
      cause: err,
      size: payload.byteLength,
    });
  }
}

/**
 * Decodes a message as received from the broker's publish side (or any PUB speaking the wire
 * format): frame 0 must be `topic SP payload` with a valid topic; frame 1, when present, is the
 * metadata frame; further frames are ignored. Throws `FrameError`, `MetaError` or `CodecError`.
 */
export function decodeEnvelope(
  frames: readonly Uint8Array[],
  options: DecodeOptions,
): Envelope<unknown> {
  const { topic, payload } = parseFrame(frames[0]);
  const metaFrame = frames[1];
  const meta =
    metaFrame === undefined ? bareMeta(options.codec.contentType, topic) : decodeMeta(metaFrame);
  return { topic, body: decodeBody(pickCodec(meta, options), payload), meta };
}

/**
 * Decodes a work item as the broker's push side delivers it: frame 0 is the payload alone
 * (topic stripped), frame 1 the metadata frame when the producer sent one. The topic comes
 * from the metadata (`''` for a bare frame, whose topic the broker stripped).
 */
export function decodeWorkItem(
  frames: readonly Uint8Array[],
  options: DecodeOptions,
): Envelope<unknown> {
  const first = frames[0];
  if (first === undefined) return decodeEnvelope(frames, options); // throws no-frames
  const payload = asBuffer(first);
  const metaFrame = frames[1];
  const meta =
    metaFrame === undefined ? bareMeta(options.codec.contentType) : decodeMeta(metaFrame);
  return { topic: meta.topic ?? '', body: decodeBody(pickCodec(meta, options), payload), meta };
}
