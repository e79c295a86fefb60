// The README's reliable-port examples are what our encoders write and our decoders read, byte
// for byte (apps/e2e holds Python's msgpack to the same bytes).
import { Packr } from 'msgpackr';
import {
  CLIENT_COMMANDS,
  decodeBrokerCommand,
  decodeClientCommand,
  encodeAck,
  encodeBye,
  encodeCancel,
  encodeCancelled,
  encodeConfirm,
  encodeConsume,
  encodeConsuming,
  encodeDeclare,
  encodeDeclared,
  encodeDeliver,
  encodeError,
  encodeHeartbeat,
  encodeHello,
  encodeNack,
  encodeNak,
  encodeProgress,
  encodePublish,
  encodeTerm,
  encodeWelcome,
} from '../src';
import type { BrokerCommand, ClientCommand } from '../src';
import { readmeExamples } from '../src/testing';

function reencode(cmd: ClientCommand | BrokerCommand): Buffer[] {
  switch (cmd.type) {
    case 'HELLO': {
      const { type: _, ...body } = cmd;
      return encodeHello(body);
    }
    case 'PUBLISH':
      return encodePublish(cmd.ids, cmd.messages, cmd.mandatory);
    case 'DECLARE':
    case 'DECLARED': {
      const { type, ...body } = cmd;
      return type === 'DECLARE'
        ? encodeDeclare(body)
        : encodeDeclared(body as Required<typeof body>);
    }
    case 'CONSUME': {
      const { type: _, ...body } = cmd;
      return encodeConsume(body);
    }
    case 'CONSUMING': {
      const { type: _, ...body } = cmd;
      return encodeConsuming(body);
    }
    case 'CANCEL':
      return encodeCancel(cmd.queue);
    case 'CANCELLED':
      return encodeCancelled(cmd.queue);
    case 'ACK':
      return encodeAck(cmd.tags);
    case 'PROGRESS':
      return encodeProgress(cmd.tags);
    case 'NAK':
      return encodeNak(cmd.entries);
    case 'TERM':
      return encodeTerm(cmd.entries);
    case 'HEARTBEAT':
      return encodeHeartbeat();
    case 'BYE':
      return encodeBye();
    case 'WELCOME': {
      const { type: _, ...body } = cmd;
      return encodeWelcome(body);
    }
    case 'CONFIRM':
      return encodeConfirm(cmd.ids);
    case 'NACK':
      return encodeNack(cmd.entries);
    case 'DELIVER':
      return encodeDeliver(
        cmd.queue,
        cmd.tags.map((tag, i) => ({
          tag,
          attempt: cmd.attempts[i]!,
          frames: cmd.messages[i]!,
        })),
      );
    case 'ERROR': {
      const { type: _, ...body } = cmd;
      return encodeError(body);
    }
  }
}

describe('README reliable-port examples', () => {
  const examples = readmeExamples();
  const packr = new Packr({
    useRecords: false,
    mapsAsObjects: true,
    int64AsType: 'auto' as 'bigint',
  });

  it('has an example for most commands', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  it.each(examples)('$command: the hex is the body, decodes, and encodes back', (example) => {
    const body = Buffer.from(example.hex, 'hex');
    expect(packr.unpack(body)).toEqual(example.value);
    const extra = example.extraFrames.map((f) => Buffer.from(f));
    const frames = [Buffer.from(example.command), body, ...extra];
    // HEARTBEAT goes both ways: it is read here as the broker's.
    const client =
      example.command !== 'HEARTBEAT' &&
      (CLIENT_COMMANDS as readonly string[]).includes(example.command);
    const cmd = client ? decodeClientCommand(frames) : decodeBrokerCommand(frames);
    expect(cmd.type).toBe(example.command);
    expect(reencode(cmd)[1]!.toString('hex')).toBe(example.hex);
  });
});
