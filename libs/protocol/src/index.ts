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
  SchemaVersionError,
  MessageTooLargeError,
  OptionError,
  ProtocolError,
  KeyError,
  isZmqMqError,
} from './errors';
export {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_RELIABLE,
  parseBindEndpoint,
  parseConnectEndpoints,
  needsIpv6,
} from './endpoint';
export { PUSH_FORMATS } from './push-format';
export { parseInteger, parseIntegerText, parseChoice } from './option-values';
export { isZmqError } from './zmq-error';
export { STOP_SIGNAL_WINDOW_MS, handleStopSignals, signalExitCode } from './stop-signals';
export { MAX_INT32 } from './limits';
export {
  CURVE_KEY_CHARS,
  CURVE_KEY_BYTES,
  MAX_KEY_NAME_CHARS,
  z85Encode,
  z85Decode,
  curveKeyProblem,
  curvePublicKey,
  generateCurveKeyPair,
  parseKeyList,
  parseKeyPairFile,
  parsePublicKeyFile,
  formatKeyPairFiles,
} from './curve';
export {
  MAX_KEY_FILE_BYTES,
  readKeyText,
  readKeyPairFile,
  readPublicKeyFile,
  writeKeyPairFiles,
} from './curve-files';

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
export {
  topic,
  defineTopics,
  knownVersions,
  topicsWithPrefix,
  encodeTyped,
  decodeTyped,
} from './typed-topics';
export {
  RELIABLE_VERSION,
  DEFAULT_HEARTBEAT_MS,
  HEARTBEAT_LIVENESS,
  CLIENT_COMMANDS,
  BROKER_COMMANDS,
  NACK_CODES,
  ERROR_CODES,
  OVERFLOW_POLICIES,
} from './reliable';
export {
  MAX_ENTRIES,
  MAX_MESSAGE_FRAMES,
  MAX_ID_BYTES,
  MAX_CREDIT,
  MAX_PREFIXES,
  MAX_TEXT_BYTES,
  isQueueName,
} from './reliable-checks';
export {
  COMMAND_FRAMES,
  encodeHello,
  encodePublish,
  encodeDeclare,
  encodeConsume,
  encodeCancel,
  encodeAck,
  encodeNak,
  encodeTerm,
  encodeProgress,
  encodeHeartbeat,
  encodeBye,
  encodeWelcome,
  encodeConfirm,
  encodeNack,
  encodeDeliver,
  encodeDeclared,
  encodeConsuming,
  encodeCancelled,
  encodeError,
  errorReplyFor,
} from './reliable-encode';
export { decodeClientCommand, decodeBrokerCommand } from './reliable-decode';
export { DEFAULT_DEAD_LETTER_PAGE, MAX_DEAD_LETTER_PAGE } from './queue-api';

export type { FrameErrorKind, CodecErrorReason, ProtocolErrorKind } from './errors';
export type { PushFormat } from './push-format';
export type { CurveKeyPair, KeyList, KeyListEntry, KeyListProblem, KeyPairFile } from './curve';
export type { KeyPairFileRead, WrittenKeyPair } from './curve-files';
export type { IntegerRange } from './option-values';
export type { StopRequests, SignalSource, StopSignalOptions, StopSignals } from './stop-signals';
export type { SplitFrame } from './frame';
export type { ZmtpSocketType } from './zmtp';
export type { Codec, CodecName } from './codec';
export type { Meta, Envelope, SendMeta, EnvelopeMeta, DecodeOptions } from './envelope';
export type {
  TopicSpec,
  TopicOptions,
  TopicMap,
  TopicsWithPrefix,
  BodyOf,
  TopicOf,
  EnvelopeOf,
  FrameSource,
} from './typed-topics';
export type {
  ClientCommandName,
  BrokerCommandName,
  NackCode,
  ErrorReplyCode,
  OverflowPolicy,
  HelloBody,
  WelcomeBody,
  QueueDeclaration,
  DeclaredQueue,
  ConsumeBody,
  ConsumingBody,
  NakEntry,
  TermEntry,
  NackEntry,
  DeliverItem,
  ErrorBody,
  ClientCommand,
  BrokerCommand,
} from './reliable';
export type {
  QueuesResponse,
  QueueSummary,
  QueueCountersView,
  QueueConsumerView,
  DeadLettersResponse,
  DeadLetterView,
  DeadLetterMeta,
  ReplayResponse,
  PurgeResponse,
  QueueApiError,
} from './queue-api';
