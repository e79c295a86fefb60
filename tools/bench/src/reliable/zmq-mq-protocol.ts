// The reliable port's commands as the benchmark speaks them (libs/protocol/README.md, "Reliable
// port"): frame 0 the command name in ASCII capitals, frame 1
// a msgpack body (standard msgpack, no records extension), then the messages' frames. Pure
// functions, no sockets; the benchmark's own copy so that it can drive any broker that speaks
// the protocol, without importing the broker's code.
import { Packr } from 'msgpackr';

// Integers past 32 bits (delivery tags) decode to numbers up to 2^53 ('auto'), not bigints.
const packr = new Packr({ useRecords: false, int64AsType: 'auto' as 'bigint' });

/** The protocol version the benchmark speaks. */
export const PROTOCOL_VERSION = 1;

/** A decoded command: its name, its body and the frames after the body. */
export interface Command {
  name: string;
  body: unknown;
  frames: Buffer[];
}

/** One message of a DELIVER command. */
export interface Delivery {
  queue: string;
  tag: number;
  attempt: number;
  frames: Buffer[];
}

/** A command that does not match the protocol (frame count, body shape). */
export class ReliableProtocolError extends Error {
  override name = 'ReliableProtocolError';
}

/** The frames of command `name` with `body` and `frames` after it. */
export function encodeCommand(name: string, body: unknown, frames: Buffer[] = []): Buffer[] {
  return [Buffer.from(name, 'latin1'), packr.pack(body), ...frames];
}

/** Splits a received multipart message into name, body and the frames after the body. */
export function decodeCommand(frames: Buffer[]): Command {
  const [name, body, ...rest] = frames;
  if (!name || !body)
    throw new ReliableProtocolError(`a command has at least 2 frames, got ${frames.length}`);
  let decoded: unknown;
  try {
    decoded = packr.unpack(body);
  } catch (err) {
    throw new ReliableProtocolError(`${name.toString('latin1')}: the body is not msgpack`, {
      cause: err,
    });
  }
  return { name: name.toString('latin1'), body: decoded, frames: rest };
}

/** HELLO: opens a session. */
export function hello(name: string, heartbeatMs: number): Buffer[] {
  return encodeCommand('HELLO', { v: PROTOCOL_VERSION, heartbeat: heartbeatMs, name });
}

/** PUBLISH of one-frame messages: `ids[i]` names `messages[i]` (frame 0, `topic SP payload`). */
export function publish(ids: string[], messages: Buffer[]): Buffer[] {
  if (ids.length !== messages.length)
    throw new RangeError(`${ids.length} ids for ${messages.length} messages`);
  return encodeCommand('PUBLISH', { msgs: ids.map((id) => [id, 1]) }, messages);
}

/** CONSUME: at most `credit` unacked deliveries of `queue` at a time. */
export function consume(queue: string, credit: number): Buffer[] {
  return encodeCommand('CONSUME', { queue, credit });
}

/** ACK of delivery tags. */
export function ack(tags: number[]): Buffer[] {
  return encodeCommand('ACK', tags);
}

export function heartbeat(): Buffer[] {
  return encodeCommand('HEARTBEAT', null);
}

export function bye(): Buffer[] {
  return encodeCommand('BYE', null);
}

function isArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ReliableProtocolError(`${what}: the body is not an array`);
  return value;
}

/** The heartbeat interval a WELCOME grants, ms. */
export function welcomeHeartbeat(body: unknown): number {
  const hb = (body as { heartbeat?: unknown } | null)?.heartbeat;
  if (typeof hb !== 'number' || !(hb > 0))
    throw new ReliableProtocolError('WELCOME: no positive heartbeat');
  return hb;
}

/** The ids of a CONFIRM. */
export function confirmedIds(body: unknown): string[] {
  return isArray(body, 'CONFIRM').map(String);
}

/** The ids of a NACK, with code and text. */
export function nackedIds(body: unknown): Array<{ id: string; code: string; text: string }> {
  return isArray(body, 'NACK').map((entry) => {
    const [id, code, text] = isArray(entry, 'NACK entry');
    return { id: String(id), code: String(code), text: String(text ?? '') };
  });
}

/**
 * The messages of a DELIVER: its body `{queue, msgs: [[tag, attempt, nframes], ...]}` describes
 * runs of the frames after it.
 */
export function deliveries(body: unknown, frames: Buffer[]): Delivery[] {
  const out: Delivery[] = [];
  let at = 0;
  const { queue, msgs } = (body ?? {}) as { queue?: unknown; msgs?: unknown };
  if (typeof queue !== 'string') throw new ReliableProtocolError('DELIVER: no queue in the body');
  for (const entry of isArray(msgs, 'DELIVER msgs')) {
    const [tag, attempt, nframes] = isArray(entry, 'DELIVER entry');
    if (
      typeof tag !== 'number' ||
      typeof attempt !== 'number' ||
      typeof nframes !== 'number' ||
      !Number.isInteger(nframes) ||
      nframes < 1
    )
      throw new ReliableProtocolError(`DELIVER entry is not [tag, attempt, nframes]`);
    if (at + nframes > frames.length)
      throw new ReliableProtocolError(
        `DELIVER describes more frames than the ${frames.length} it carries`,
      );
    out.push({ queue, tag, attempt, frames: frames.slice(at, at + nframes) });
    at += nframes;
  }
  if (at !== frames.length)
    throw new ReliableProtocolError(
      `DELIVER carries ${frames.length - at} frames it does not describe`,
    );
  return out;
}

/** An ERROR body as one line. */
export function describeError(body: unknown): string {
  const { code, message, command } = (body ?? {}) as {
    code?: unknown;
    message?: unknown;
    command?: unknown;
  };
  return `${String(code)}: ${String(message)}${command ? ` (${String(command)})` : ''}`;
}
