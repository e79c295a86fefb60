/**
 * Coded errors of the wire contract. Every error zmq-mq throws carries a stable `code`
 * (`ZMQMQ_ERR_…`) that callers match on; the message is for people and may change.
 * Each code is documented in libs/protocol/README.md ("Error codes").
 */

export const ErrorCode = {
  InvalidTopic: 'ZMQMQ_ERR_INVALID_TOPIC',
  MalformedFrame: 'ZMQMQ_ERR_MALFORMED_FRAME',
  MalformedMeta: 'ZMQMQ_ERR_MALFORMED_META',
  CodecTruncated: 'ZMQMQ_ERR_CODEC_TRUNCATED',
  CodecCorrupt: 'ZMQMQ_ERR_CODEC_CORRUPT',
  CodecUnencodable: 'ZMQMQ_ERR_CODEC_UNENCODABLE',
  UnknownCodec: 'ZMQMQ_ERR_UNKNOWN_CODEC',
  UnknownTopic: 'ZMQMQ_ERR_UNKNOWN_TOPIC',
  Validation: 'ZMQMQ_ERR_VALIDATION',
  SchemaVersion: 'ZMQMQ_ERR_SCHEMA_VERSION',
  MessageTooLarge: 'ZMQMQ_ERR_MESSAGE_TOO_LARGE',
  InvalidOption: 'ZMQMQ_ERR_INVALID_OPTION',
  Protocol: 'ZMQMQ_ERR_PROTOCOL',
  Key: 'ZMQMQ_ERR_KEY',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every zmq-mq error; `code` is stable, `message` is for people. */
export class ZmqMqError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZmqMqError';
    this.code = code;
  }
}

/** A topic that breaks the rules: 1..255 UTF-8 bytes, no space, no control character. */
export class TopicError extends ZmqMqError {
  readonly topic: string;
  /** What is wrong, without the topic (for a message that quotes the value elsewhere). */
  readonly reason: string;

  constructor(topic: string, reason: string) {
    super(ErrorCode.InvalidTopic, `invalid topic ${JSON.stringify(topic)}: ${reason}`);
    this.name = 'TopicError';
    this.topic = topic;
    this.reason = reason;
  }
}

/** Why frame 0 could not be read as `topic SP payload`. */
export type FrameErrorKind = 'no-frames' | 'empty' | 'no-separator' | 'bad-topic';

/** A message whose frames do not follow the wire format. */
export class FrameError extends ZmqMqError {
  readonly kind: FrameErrorKind;

  constructor(kind: FrameErrorKind, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.MalformedFrame, message, options);
    this.name = 'FrameError';
    this.kind = kind;
  }
}

/** The optional metadata frame is present but is not a valid metadata map. */
export class MetaError extends ZmqMqError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.MalformedMeta, message, options);
    this.name = 'MetaError';
  }
}

/** Why a codec failed: input ended early, input is not valid, or a value cannot be encoded. */
export type CodecErrorReason = 'truncated' | 'corrupt' | 'unencodable';

const codecCodes: Record<CodecErrorReason, ErrorCode> = {
  truncated: ErrorCode.CodecTruncated,
  corrupt: ErrorCode.CodecCorrupt,
  unencodable: ErrorCode.CodecUnencodable,
};

/** A codec could not decode bytes (truncated or corrupt) or encode a value. */
export class CodecError extends ZmqMqError {
  readonly codec: string;
  readonly reason: CodecErrorReason;
  /** Size in bytes of the input that failed to decode (undefined for encode errors). */
  readonly size: number | undefined;

  constructor(
    codec: string,
    reason: CodecErrorReason,
    detail: string,
    options?: { cause?: unknown; size?: number },
  ) {
    const what = reason === 'unencodable' ? 'cannot encode value' : `${reason} input`;
    const size = options?.size === undefined ? '' : ` (${options.size} bytes)`;
    super(codecCodes[reason], `${codec} codec: ${what}${size}: ${detail}`, options);
    this.name = 'CodecError';
    this.codec = codec;
    this.reason = reason;
    this.size = options?.size;
  }
}

/** A codec name or content type that no registered codec handles. */
export class UnknownCodecError extends ZmqMqError {
  readonly codec: string;

  constructor(codec: string) {
    super(ErrorCode.UnknownCodec, `unknown codec or content type ${JSON.stringify(codec)}`);
    this.name = 'UnknownCodecError';
    this.codec = codec;
  }
}

/** A topic that is not declared in the topic map in use. */
export class UnknownTopicError extends ZmqMqError {
  readonly topic: string;

  constructor(topic: string, why = 'is not in the topic map') {
    super(ErrorCode.UnknownTopic, `topic ${JSON.stringify(topic)} ${why}`);
    this.name = 'UnknownTopicError';
    this.topic = topic;
  }
}

/** A body that decoded but failed the topic's runtime validation hook. */
export class ValidationError extends ZmqMqError {
  readonly topic: string;

  constructor(topic: string, detail: string, options?: { cause?: unknown }) {
    super(
      ErrorCode.Validation,
      `body of topic ${JSON.stringify(topic)} is invalid: ${detail}`,
      options,
    );
    this.name = 'ValidationError';
    this.topic = topic;
  }
}

/**
 * A message whose schema version (metadata `sv`, 1 when absent) is not one this receiver's
 * topic map reads: its body is not decoded, so it never reaches the reader wrongly typed.
 */
export class SchemaVersionError extends ZmqMqError {
  readonly topic: string;
  /** The version the message carries. */
  readonly version: number;
  /** The versions this receiver reads for the topic: its own, then those it upgrades. */
  readonly known: readonly number[];

  constructor(topic: string, version: number, known: readonly number[]) {
    const newer = known.every((k) => version > k);
    super(
      ErrorCode.SchemaVersion,
      `topic ${JSON.stringify(topic)} carries schema version ${version}, which this receiver ` +
        `does not read (it reads ${known.join(', ')})` +
        (newer ? ': the sender has a newer contract; update this receiver' : ''),
    );
    this.name = 'SchemaVersionError';
    this.topic = topic;
    this.version = version;
    this.known = known;
  }
}

/** A message bigger than the configured maximum. */
export class MessageTooLargeError extends ZmqMqError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      ErrorCode.MessageTooLarge,
      `message of ${size} bytes exceeds the limit of ${limit} bytes`,
    );
    this.name = 'MessageTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/** A configuration option with a bad value; `option` names it as the user wrote it. */
export class OptionError extends ZmqMqError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, problem: string) {
    super(ErrorCode.InvalidOption, `${option}: ${problem} (got ${formatValue(value)})`);
    this.name = 'OptionError';
    this.option = option;
    this.value = value;
  }
}

/**
 * What is wrong with a reliable-port command: a name that is no command of its direction, a
 * frame count that does not match the body, a body that is not msgpack (or not the command's
 * shape), a field with a bad value, or a list or count past the protocol's limits.
 */
export type ProtocolErrorKind =
  'unknown-command' | 'bad-frame-count' | 'bad-body' | 'bad-field' | 'too-large';

/** A reliable-port command that breaks the protocol (libs/protocol/README.md, "Reliable port"). */
export class ProtocolError extends ZmqMqError {
  readonly kind: ProtocolErrorKind;
  /** The command's name, when frame 0 named one. */
  readonly command: string | undefined;
  /** For `bad-field` and `too-large`: the field, as `msgs[2].nframes` or `credit`. */
  readonly field: string | undefined;
  /**
   * For `bad-body` and `bad-frame-count`: true when the input ends early (the body is a prefix
   * of valid msgpack, or fewer frames came than the body announces), false when it is corrupt.
   */
  readonly truncated: boolean;

  constructor(
    kind: ProtocolErrorKind,
    command: string | undefined,
    detail: string,
    options?: { field?: string; truncated?: boolean; cause?: unknown },
  ) {
    super(
      ErrorCode.Protocol,
      `reliable protocol: ${command === undefined ? '' : `${command}: `}${detail}`,
      options,
    );
    this.name = 'ProtocolError';
    this.kind = kind;
    this.command = command;
    this.field = options?.field;
    this.truncated = options?.truncated ?? false;
  }
}

/**
 * A CURVE key, key file or key list that cannot be used: `source` names it as the user gave it
 * (a file path, an option), and the message says what is wrong.
 */
export class KeyError extends ZmqMqError {
  readonly source: string;

  constructor(source: string, problem: string, options?: { cause?: unknown }) {
    super(ErrorCode.Key, `${source}: ${problem}`, options);
    this.name = 'KeyError';
    this.source = source;
  }
}

/** A value as an error message shows it: strings quoted, bigints with `n`, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** True for any zmq-mq error, optionally of one code. */
export function isZmqMqError(err: unknown, code?: string): err is ZmqMqError {
  return err instanceof ZmqMqError && (code === undefined || err.code === code);
}
