/**
 * Encoders of the reliable port's commands (libs/protocol/README.md, "Reliable port"): each
 * returns the frames to send, the command name first (a ROUTER puts the peer's identity in
 * front). Message frames go out as they are, without a copy. Values are checked with the
 * decoders' rules: a bad one throws `ProtocolError`, so that the sender hears of it.
 */
import type { ProtocolError } from './errors';
import { MsgpackWriter } from './msgpack-writer';
import { BROKER_COMMANDS, CLIENT_COMMANDS, RELIABLE_VERSION } from './reliable';
import type {
  BrokerCommandName,
  ClientCommandName,
  ConsumeBody,
  ConsumingBody,
  DeclaredQueue,
  DeliverItem,
  ErrorBody,
  ErrorReplyCode,
  HelloBody,
  NackEntry,
  NakEntry,
  QueueDeclaration,
  TermEntry,
  WelcomeBody,
} from './reliable';
import {
  badField,
  checkConsume,
  checkDeclaration,
  checkErrorBody,
  checkFrameCount,
  checkHello,
  checkId,
  checkInt,
  isId,
  isIntIn,
  isTag,
  checkList,
  checkNackEntry,
  checkQueue,
  checkString,
  checkTag,
  checkWelcome,
  MAX_MESSAGE_FRAMES,
  optional,
} from './reliable-checks';

/** The command names' frames, shared (never written to). */
export const COMMAND_FRAMES: Record<ClientCommandName | BrokerCommandName, Buffer> =
  Object.fromEntries(
    [...CLIENT_COMMANDS, ...BROKER_COMMANDS].map((name) => [name, Buffer.from(name, 'latin1')]),
  ) as Record<ClientCommandName | BrokerCommandName, Buffer>;

const NIL_BODY = Buffer.from([0xc0]);
// Encoding is synchronous: one writer serves every encoder.
const writer = new MsgpackWriter();

function command(name: ClientCommandName | BrokerCommandName, body: Buffer): Buffer[] {
  return [COMMAND_FRAMES[name], body];
}

/** Writes a map of the present (not undefined) values: `[key, value, writeValue]` triples. */
type MapEntry =
  | readonly [string, string | undefined, 'str']
  | readonly [string, number | undefined, 'uint']
  | readonly [string, boolean | undefined, 'bool']
  | readonly [string, readonly string[] | undefined, 'strings']
  | readonly [string, readonly number[] | undefined, 'uints'];

function writeMap(entries: readonly MapEntry[]): Buffer {
  let size = 0;
  for (const e of entries) if (e[1] !== undefined) size++;
  const w = writer.reset().map(size);
  for (const [key, value, type] of entries) {
    if (value === undefined) continue;
    w.str(key);
    if (type === 'str') w.str(value as string);
    else if (type === 'uint') w.uint(value as number);
    else if (type === 'bool') w.bool(value as boolean);
    else if (type === 'strings') w.strings(value as readonly string[]);
    else w.uints(value as readonly number[]);
  }
  return w.finish();
}

export function encodeHello(body: Partial<HelloBody> = {}): Buffer[] {
  const hello = checkHello({ v: RELIABLE_VERSION, ...body });
  return command(
    'HELLO',
    writeMap([
      ['v', hello.v, 'uint'],
      ['session', hello.session, 'str'],
      ['heartbeat', hello.heartbeat, 'uint'],
      ['name', hello.name, 'str'],
    ]),
  );
}

/**
 * PUBLISH of several messages: `ids[i]` names `messages[i]` (its frames, sent as they are: no
 * copy). `mandatory`: NACK `no-queue` when no queue matches a topic.
 */
export function encodePublish(
  ids: readonly string[],
  messages: readonly (readonly Buffer[])[],
  mandatory = false,
): Buffer[] {
  const C = 'PUBLISH';
  checkList(C, 'msgs', ids);
  if (messages.length !== ids.length) {
    badField(C, 'msgs', `has ${ids.length} ids for ${messages.length} messages`, messages.length);
  }
  const w = writer
    .reset()
    .map(mandatory ? 2 : 1)
    .str('msgs')
    .array(ids.length);
  const out = [COMMAND_FRAMES.PUBLISH, NIL_BODY];
  for (let i = 0; i < ids.length; i++) {
    const frames = messages[i] as readonly Buffer[];
    const id = ids[i];
    const n = frames.length;
    w.array(2)
      .str(isId(id) ? id : checkId(C, ['msgs', i, 'id'], id))
      .uint(isIntIn(n, 1, MAX_MESSAGE_FRAMES) ? n : checkFrameCount(C, i, n));
    for (let f = 0; f < frames.length; f++) out.push(frames[f] as Buffer);
  }
  if (mandatory) w.str('mandatory').bool(true);
  out[1] = w.finish();
  return out;
}

export function encodeDeclare(declaration: QueueDeclaration): Buffer[] {
  const d = checkDeclaration('DECLARE', declaration);
  return command('DECLARE', writeDeclaration(d));
}

export function encodeConsume(body: ConsumeBody): Buffer[] {
  return command('CONSUME', writeConsume(checkConsume('CONSUME', body)));
}

export function encodeCancel(queue: string): Buffer[] {
  return command('CANCEL', writeQueue('CANCEL', queue));
}

export function encodeAck(tags: readonly number[]): Buffer[] {
  return command('ACK', writeTags('ACK', tags));
}

export function encodeProgress(tags: readonly number[]): Buffer[] {
  return command('PROGRESS', writeTags('PROGRESS', tags));
}

export function encodeNak(entries: readonly NakEntry[]): Buffer[] {
  checkList('NAK', 'entries', entries);
  const w = writer.reset().array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as NakEntry;
    w.array(2).uint(checkTag('NAK', ['entries', i, 'tag'], e.tag));
    w.uintOrNil(optional(e.delayMs, (v) => checkInt('NAK', ['entries', i, 'delayMs'], v, 0)));
  }
  return command('NAK', w.finish());
}

export function encodeTerm(entries: readonly TermEntry[]): Buffer[] {
  checkList('TERM', 'entries', entries);
  const w = writer.reset().array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as TermEntry;
    w.array(2).uint(checkTag('TERM', ['entries', i, 'tag'], e.tag));
    w.strOrNil(optional(e.reason, (v) => checkString('TERM', ['entries', i, 'reason'], v)));
  }
  return command('TERM', w.finish());
}

export function encodeHeartbeat(): Buffer[] {
  return command('HEARTBEAT', NIL_BODY);
}

export function encodeBye(): Buffer[] {
  return command('BYE', NIL_BODY);
}

export function encodeWelcome(body: WelcomeBody): Buffer[] {
  const b = checkWelcome(body);
  return command(
    'WELCOME',
    writeMap([
      ['v', b.v, 'uint'],
      ['session', b.session, 'str'],
      ['heartbeat', b.heartbeat, 'uint'],
      ['epoch', b.epoch, 'str'],
      ['maxMessageBytes', b.maxMessageBytes, 'uint'],
      ['resumed', b.resumed, 'bool'],
    ]),
  );
}

export function encodeConfirm(ids: readonly string[]): Buffer[] {
  checkList('CONFIRM', 'ids', ids);
  const w = writer.reset().array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    w.str(isId(id) ? id : checkId('CONFIRM', ['ids', i], id));
  }
  return command('CONFIRM', w.finish());
}

/** NACK entries, each written as `[id, code, message, queue or nil, limit or nil]`. */
export function encodeNack(entries: readonly NackEntry[]): Buffer[] {
  checkList('NACK', 'entries', entries);
  const w = writer.reset().array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = checkNackEntry(entries[i] as NackEntry, i);
    w.array(5).str(e.id).str(e.code).str(e.message).strOrNil(e.queue).uintOrNil(e.limit);
  }
  return command('NACK', w.finish());
}

/** DELIVER of several messages of one queue; each item's frames are sent as they are. */
export function encodeDeliver(queue: string, items: readonly DeliverItem[]): Buffer[] {
  const C = 'DELIVER';
  checkList(C, 'msgs', items);
  const w = writer
    .reset()
    .map(2)
    .str('queue')
    .str(checkQueue(C, 'queue', queue))
    .str('msgs')
    .array(items.length);
  const out = [COMMAND_FRAMES.DELIVER, NIL_BODY];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as DeliverItem;
    const { tag, attempt, frames } = item;
    const n = frames.length;
    w.array(3)
      .uint(isTag(tag) ? tag : checkTag(C, ['msgs', i, 'tag'], tag))
      .uint(
        isIntIn(attempt, 1, Number.MAX_SAFE_INTEGER)
          ? attempt
          : checkInt(C, ['msgs', i, 'attempt'], attempt, 1),
      )
      .uint(isIntIn(n, 1, MAX_MESSAGE_FRAMES) ? n : checkFrameCount(C, i, n));
    for (let f = 0; f < frames.length; f++) out.push(frames[f] as Buffer);
  }
  out[1] = w.finish();
  return out;
}

export function encodeDeclared(definition: DeclaredQueue): Buffer[] {
  const d = checkDeclaration('DECLARED', definition, true);
  return command('DECLARED', writeDeclaration(d));
}

export function encodeConsuming(body: ConsumingBody): Buffer[] {
  return command('CONSUMING', writeConsume(checkConsume('CONSUMING', body, true)));
}

export function encodeCancelled(queue: string): Buffer[] {
  return command('CANCELLED', writeQueue('CANCELLED', queue));
}

export function encodeError(body: ErrorBody): Buffer[] {
  const e = checkErrorBody(body);
  return command(
    'ERROR',
    writeMap([
      ['code', e.code, 'str'],
      ['message', e.message, 'str'],
      ['command', e.command, 'str'],
      ['queue', e.queue, 'str'],
      ['tags', e.tags, 'uints'],
    ]),
  );
}

/**
 * The ERROR reply for a command that failed to decode: `unknown-command`, `too-large`,
 * `bad-credit` (CONSUME's credit), `unsupported-version` (HELLO's v) or `bad-request`.
 */
export function errorReplyFor(err: ProtocolError): ErrorBody {
  let code: ErrorReplyCode = 'bad-request';
  if (err.kind === 'unknown-command') code = 'unknown-command';
  else if (err.kind === 'too-large') code = 'too-large';
  else if (err.command === 'CONSUME' && err.field === 'credit') code = 'bad-credit';
  else if (err.command === 'HELLO' && err.field === 'v') code = 'unsupported-version';
  const reply: ErrorBody = { code, message: err.message };
  if (err.command !== undefined && err.kind !== 'unknown-command') reply.command = err.command;
  return reply;
}

function writeTags(C: string, tags: readonly number[]): Buffer {
  checkList(C, 'tags', tags);
  for (let i = 0; i < tags.length; i++) if (!isTag(tags[i])) checkTag(C, ['tags', i], tags[i]);
  return writer.reset().uints(tags).finish();
}

function writeConsume(c: ConsumeBody): Buffer {
  return writeMap([
    ['queue', c.queue, 'str'],
    ['credit', c.credit, 'uint'],
    ['ackWaitMs', c.ackWaitMs, 'uint'],
  ]);
}

function writeQueue(C: string, queue: string): Buffer {
  return writeMap([['queue', checkQueue(C, 'queue', queue), 'str']]);
}

function writeDeclaration(d: QueueDeclaration): Buffer {
  return writeMap([
    ['queue', d.queue, 'str'],
    ['prefixes', d.prefixes, 'strings'],
    ['maxMessages', d.maxMessages, 'uint'],
    ['maxBytes', d.maxBytes, 'uint'],
    ['maxAgeMs', d.maxAgeMs, 'uint'],
    ['overflow', d.overflow, 'str'],
    ['maxDeadMessages', d.maxDeadMessages, 'uint'],
  ]);
}
