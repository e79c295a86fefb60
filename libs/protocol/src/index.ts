export {
  ErrorCode,
  ZmqMqError,
  TopicError,
  FrameError,
  MetaError,
  CodecError,
  UnknownCodecError,
  UnknownTopicError,
  ValidationError,
  MessageTooLargeError,
  OptionError,
  isZmqMqError,
} from './errors';
export {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  parseBindEndpoint,
  parseConnectEndpoints,
  needsIpv6,
} from './endpoint';
export { PUSH_FORMATS } from './push-format';
export { parseInteger, parseChoice } from './option-values';
export { isZmqError } from './zmq-error';
export { STOP_SIGNAL_WINDOW_MS, handleStopSignals, signalExitCode } from './stop-signals';
export { MAX_INT32 } from './limits';
export { SEPARATOR, asBuffer, encodeFrame, splitFrame, payloadOf, parseFrame } from './frame';
export {
  MAX_TOPIC_BYTES,
  SEGMENT_SEPARATOR,
  topicProblem,
  isValidTopic,
  assertTopic,
  topicSegments,
  prefixSubscription,
  exactSubscription,
  matchesSubscription,
} from './topics';
export {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_MSGPACK,
  CONTENT_TYPE_RAW,
  CODEC_NAMES,
  jsonCodec,
  msgpackCodec,
  rawCodec,
  json,
  msgpack,
  raw,
  codecByName,
  codecForContentType,
} from './codec';
export {
  META_VERSION,
  newMessageId,
  encodeMeta,
  decodeMeta,
  bareMeta,
  encodeEnvelope,
  decodeEnvelope,
  decodeWorkItem,
} from './envelope';
export {
  ZmtpFrameReader,
  ZmtpFrameScanner,
  type ZmtpMessageLimits,
  ZmtpProtocolError,
  encodeZmtpFrame,
  writeZmtpFrameHeader,
  zmtpFrameHeaderBytes,
  zmtpGreeting,
  zmtpReady,
  zmtpSubscribeAll,
} from './zmtp';
export { topic, defineTopics, encodeTyped, decodeTyped } from './typed-topics';

export type { FrameErrorKind, CodecErrorReason } from './errors';
export type { PushFormat } from './push-format';
export type { IntegerRange } from './option-values';
export type { StopRequests, SignalSource, StopSignalOptions } from './stop-signals';
export type { SplitFrame } from './frame';
export type { ZmtpSocketType } from './zmtp';
export type { Codec, CodecName } from './codec';
export type { Meta, Envelope, SendMeta, DecodeOptions } from './envelope';
export type { TopicSpec, TopicMap, BodyOf, TopicOf, EnvelopeOf, FrameSource } from './typed-topics';
