/**
 * Decoders of the reliable port's commands (libs/protocol/README.md, "Reliable port"). They
 * never copy a message frame: the frames of each message are the received Buffers themselves,
 * in a new array per message. They throw `ProtocolError` (kind, command, field, truncated) and
 * ignore map keys and tuple elements they do not know (newer senders of v1).
 */
import { Packr } from 'msgpackr';
import { ProtocolError } from './errors';
import type {
  BrokerCommand,
  ClientCommand,
  NackEntry,
  NakEntry,
  QueueDeclaration,
  ConsumeBody,
  TermEntry,
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
  checkMap,
  checkNackEntry,
  checkQueue,
  checkString,
  checkTag,
  checkTuple,
  checkWelcome,
  MAX_MESSAGE_FRAMES,
  optional,
} from './reliable-checks';
import { COMMAND_FRAMES as NAMES } from './reliable-encode';

// Standard msgpack as the codec reads it: no records, no structured-clone references (which
// could build cycles), integers beyond 2^53 as bigint (refused by the integer checks).
const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  mapsAsObjects: true,
  moreTypes: false,
  int64AsType: 'auto' as 'bigint',
});

/** The command name in frame 0 (at `offset`), or undefined when it is not printable ASCII. */
function nameOf(frame: Buffer | undefined): string | undefined {
  if (frame === undefined || frame.byteLength === 0 || frame.byteLength > 16) return undefined;
  const name = frame.toString('latin1');
  return /^[A-Z]+$/.test(name) ? name : undefined;
}

function unknownCommand(frame: Buffer | undefined, direction: string): never {
  const name = nameOf(frame);
  const what =
    frame === undefined
      ? 'no frames'
      : name !== undefined
        ? JSON.stringify(name)
        : `a frame 0 of ${frame.byteLength} bytes that is no command name`;
  throw new ProtocolError('unknown-command', name, `${what} is not a ${direction} command`);
}

function decodeBody(C: string, frame: Buffer | undefined): unknown {
  if (frame === undefined) {
    throw new ProtocolError('bad-frame-count', C, 'no body frame (frame 1)', { truncated: true });
  }
  if (frame.byteLength === 0) {
    throw new ProtocolError('bad-body', C, 'body frame is empty', { truncated: true });
  }
  try {
    return packr.unpack(frame);
  } catch (cause) {
    const err = cause as Error & { incomplete?: boolean };
    // msgpackr marks a stack overflow (a value nested too deeply) as incomplete too.
    const truncated = err.incomplete === true && !/call stack/.test(err.message);
    const what = truncated ? 'ends early' : 'is not valid msgpack';
    throw new ProtocolError('bad-body', C, `body (${frame.byteLength} bytes) ${what}`, {
      truncated,
      cause,
    });
  }
}

function expectFrames(C: string, frames: readonly Buffer[], offset: number, count: number): void {
  const have = frames.length - offset;
  if (have !== count) {
    throw new ProtocolError(
      'bad-frame-count',
      C,
      `has ${have} frames, the command and its body need ${count}`,
      { truncated: have < count },
    );
  }
}

function expectNil(C: string, body: unknown): void {
  if (body !== null) {
    throw new ProtocolError('bad-body', C, `body must be nil (got ${typeof body})`);
  }
}

/**
 * Decodes a command a client sent (`frames[offset]` is its name: the broker's ROUTER passes
 * offset 1 to skip the peer's identity). Throws `ProtocolError`.
 */
export function decodeClientCommand(frames: readonly Buffer[], offset = 0): ClientCommand {
  const frame = frames[offset];
  switch (frame?.byteLength) {
    case 3:
      if (frame.equals(NAMES.ACK)) return { type: 'ACK', tags: readTags('ACK', frames, offset) };
      if (frame.equals(NAMES.NAK)) return readNak(frames, offset);
      if (frame.equals(NAMES.BYE)) return readNil('BYE', frames, offset);
      break;
    case 4:
      if (frame.equals(NAMES.TERM)) return readTerm(frames, offset);
      break;
    case 5:
      if (frame.equals(NAMES.HELLO)) return readHello(frames, offset);
      break;
    case 6:
      if (frame.equals(NAMES.CANCEL))
        return { type: 'CANCEL', queue: readQueue('CANCEL', frames, offset) };
      break;
    case 7:
      if (frame.equals(NAMES.PUBLISH)) return readPublish(frames, offset);
      if (frame.equals(NAMES.DECLARE)) return readDeclare('DECLARE', frames, offset);
      if (frame.equals(NAMES.CONSUME)) return readConsume('CONSUME', frames, offset);
      break;
    case 8:
      if (frame.equals(NAMES.PROGRESS)) {
        return { type: 'PROGRESS', tags: readTags('PROGRESS', frames, offset) };
      }
      break;
    case 9:
      if (frame.equals(NAMES.HEARTBEAT)) return readNil('HEARTBEAT', frames, offset);
      break;
    default:
      break;
  }
  return unknownCommand(frame, 'client');
}

/** Decodes a command the broker sent (`frames[offset]` is its name). Throws `ProtocolError`. */
export function decodeBrokerCommand(frames: readonly Buffer[], offset = 0): BrokerCommand {
  const frame = frames[offset];
  switch (frame?.byteLength) {
    case 4:
      if (frame.equals(NAMES.NACK)) return readNack(frames, offset);
      break;
    case 5:
      if (frame.equals(NAMES.ERROR)) return readError(frames, offset);
      break;
    case 7:
      if (frame.equals(NAMES.CONFIRM)) return readConfirm(frames, offset);
      if (frame.equals(NAMES.DELIVER)) return readDeliver(frames, offset);
      if (frame.equals(NAMES.WELCOME)) return readWelcome(frames, offset);
      break;
    case 8:
      // Checked complete: every field is present.
      if (frame.equals(NAMES.DECLARED)) {
        return readDeclare('DECLARED', frames, offset) as BrokerCommand;
      }
      break;
    case 9:
      if (frame.equals(NAMES.CONSUMING)) {
        return readConsume('CONSUMING', frames, offset) as BrokerCommand;
      }
      if (frame.equals(NAMES.CANCELLED)) {
        return { type: 'CANCELLED', queue: readQueue('CANCELLED', frames, offset) };
      }
      if (frame.equals(NAMES.HEARTBEAT)) return readNil('HEARTBEAT', frames, offset);
      break;
    default:
      break;
  }
  return unknownCommand(frame, 'broker');
}

function controlBody(C: string, frames: readonly Buffer[], offset: number): unknown {
  expectFrames(C, frames, offset, 2);
  return decodeBody(C, frames[offset + 1]);
}

function readNil<C extends 'HEARTBEAT' | 'BYE'>(
  C: C,
  frames: readonly Buffer[],
  offset: number,
): { type: C } {
  expectNil(C, controlBody(C, frames, offset));
  return { type: C };
}

function readTags(C: string, frames: readonly Buffer[], offset: number): number[] {
  const tags = checkList(C, 'tags', controlBody(C, frames, offset));
  for (let i = 0; i < tags.length; i++) if (!isTag(tags[i])) checkTag(C, ['tags', i], tags[i]);
  return tags as number[];
}

function readNak(frames: readonly Buffer[], offset: number): ClientCommand {
  const C = 'NAK';
  const list = checkList(C, 'entries', controlBody(C, frames, offset));
  const entries: NakEntry[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = checkTuple(C, 'entries', i, list[i], 2);
    const tag = checkTag(C, ['entries', i, 'tag'], e[0]);
    const delayMs = optional(e[1], (v) => checkInt(C, ['entries', i, 'delayMs'], v, 0));
    entries[i] = delayMs === undefined ? { tag } : { tag, delayMs };
  }
  return { type: C, entries };
}

function readTerm(frames: readonly Buffer[], offset: number): ClientCommand {
  const C = 'TERM';
  const list = checkList(C, 'entries', controlBody(C, frames, offset));
  const entries: TermEntry[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = checkTuple(C, 'entries', i, list[i], 2);
    const tag = checkTag(C, ['entries', i, 'tag'], e[0]);
    const reason = optional(e[1], (v) => checkString(C, ['entries', i, 'reason'], v));
    entries[i] = reason === undefined ? { tag } : { tag, reason };
  }
  return { type: C, entries };
}

function readQueue(C: string, frames: readonly Buffer[], offset: number): string {
  return checkQueue(C, 'queue', checkMap(C, controlBody(C, frames, offset)).queue);
}

function readHello(frames: readonly Buffer[], offset: number): ClientCommand {
  const body = checkMap('HELLO', controlBody('HELLO', frames, offset));
  return { type: 'HELLO', ...checkHello(body) };
}

function readWelcome(frames: readonly Buffer[], offset: number): BrokerCommand {
  const body = checkMap('WELCOME', controlBody('WELCOME', frames, offset));
  return { type: 'WELCOME', ...checkWelcome(body) };
}

function readDeclare<C extends 'DECLARE' | 'DECLARED'>(
  C: C,
  frames: readonly Buffer[],
  offset: number,
): { type: C } & QueueDeclaration {
  const body = checkMap(C, controlBody(C, frames, offset));
  return { type: C, ...checkDeclaration(C, body, C === 'DECLARED') };
}

function readConsume<C extends 'CONSUME' | 'CONSUMING'>(
  C: C,
  frames: readonly Buffer[],
  offset: number,
): { type: C } & ConsumeBody {
  const body = checkMap(C, controlBody(C, frames, offset));
  return { type: C, ...checkConsume(C, body, C === 'CONSUMING') };
}

function readConfirm(frames: readonly Buffer[], offset: number): BrokerCommand {
  const ids = checkList('CONFIRM', 'ids', controlBody('CONFIRM', frames, offset));
  for (let i = 0; i < ids.length; i++) if (!isId(ids[i])) checkId('CONFIRM', ['ids', i], ids[i]);
  return { type: 'CONFIRM', ids: ids as string[] };
}

function readNack(frames: readonly Buffer[], offset: number): BrokerCommand {
  const list = checkList('NACK', 'entries', controlBody('NACK', frames, offset));
  const entries: NackEntry[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = checkTuple('NACK', 'entries', i, list[i], 3);
    entries[i] = checkNackEntry(
      { id: e[0], code: e[1], message: e[2], queue: e[3] ?? undefined, limit: e[4] ?? undefined },
      i,
    );
  }
  return { type: 'NACK', entries };
}

function readError(frames: readonly Buffer[], offset: number): BrokerCommand {
  const body = checkMap('ERROR', controlBody('ERROR', frames, offset));
  return { type: 'ERROR', ...checkErrorBody(body) };
}

/**
 * The frames after the body cut into messages of `counts[i]` frames each (the Buffers
 * themselves, in a new array per message); their total must match exactly.
 */
function cutMessages(
  C: string,
  frames: readonly Buffer[],
  offset: number,
  counts: number[],
  total: number,
): Buffer[][] {
  const have = frames.length - offset - 2;
  if (have !== total) {
    throw new ProtocolError(
      'bad-frame-count',
      C,
      `body announces ${total} message frames, ${have} follow it`,
      { truncated: have < total },
    );
  }
  const messages: Buffer[][] = new Array(counts.length);
  let at = offset + 2;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number;
    messages[i] = n === 1 ? [frames[at] as Buffer] : (frames.slice(at, at + n) as Buffer[]);
    at += n;
  }
  return messages;
}

function messageBody(
  C: string,
  frames: readonly Buffer[],
  offset: number,
): Record<string, unknown> {
  if (frames.length - offset < 2) {
    throw new ProtocolError('bad-frame-count', C, 'no body frame (frame 1)', { truncated: true });
  }
  return checkMap(C, decodeBody(C, frames[offset + 1]));
}

function readPublish(frames: readonly Buffer[], offset: number): ClientCommand {
  const C = 'PUBLISH';
  const body = messageBody(C, frames, offset);
  const msgs = checkList(C, 'msgs', body.msgs);
  const mandatory = optional(body.mandatory, (v) =>
    typeof v === 'boolean' ? v : badField(C, 'mandatory', 'must be a boolean', v),
  );
  const ids: string[] = new Array(msgs.length);
  const counts: number[] = new Array(msgs.length);
  let total = 0;
  for (let i = 0; i < msgs.length; i++) {
    const e = checkTuple(C, 'msgs', i, msgs[i], 2);
    const id = e[0];
    const n = e[1];
    ids[i] = isId(id) ? id : checkId(C, ['msgs', i, 'id'], id);
    const count = isIntIn(n, 1, MAX_MESSAGE_FRAMES) ? n : checkFrameCount(C, i, n);
    counts[i] = count;
    total += count;
  }
  const messages = cutMessages(C, frames, offset, counts, total);
  return { type: C, ids, messages, mandatory: mandatory === true };
}

function readDeliver(frames: readonly Buffer[], offset: number): BrokerCommand {
  const C = 'DELIVER';
  const body = messageBody(C, frames, offset);
  const queue = checkQueue(C, 'queue', body.queue);
  const msgs = checkList(C, 'msgs', body.msgs);
  const tags: number[] = new Array(msgs.length);
  const attempts: number[] = new Array(msgs.length);
  const counts: number[] = new Array(msgs.length);
  let total = 0;
  for (let i = 0; i < msgs.length; i++) {
    const e = checkTuple(C, 'msgs', i, msgs[i], 3);
    const tag = e[0];
    const attempt = e[1];
    const n = e[2];
    tags[i] = isTag(tag) ? tag : checkTag(C, ['msgs', i, 'tag'], tag);
    attempts[i] = isIntIn(attempt, 1, Number.MAX_SAFE_INTEGER)
      ? attempt
      : checkInt(C, ['msgs', i, 'attempt'], attempt, 1);
    const count = isIntIn(n, 1, MAX_MESSAGE_FRAMES) ? n : checkFrameCount(C, i, n);
    counts[i] = count;
    total += count;
  }
  const messages = cutMessages(C, frames, offset, counts, total);
  return { type: C, queue, tags, attempts, messages };
}
