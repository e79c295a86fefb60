import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ZmqMqError } from '@zmq-mq/protocol';
import * as api from '../src';
import { ClientErrorCode, HandlerError, QueueFullError } from '../src';

describe('client errors', () => {
  const codes = Object.values(ClientErrorCode);

  it('has unique codes that do not clash with the protocol codes', () => {
    const all = [...codes, ...Object.values(ErrorCode)];
    expect(new Set(all).size).toBe(all.length);
    for (const code of codes) expect(code).toMatch(/^ZMQMQ_ERR_[A-Z_]+$/);
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const code of codes) expect(readme).toContain(`\`${code}\``);
  });

  it('exports each error class as a ZmqMqError with a name and one of the codes', () => {
    const classes = Object.entries(api).filter(
      ([, v]) =>
        typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof ZmqMqError,
    );
    expect(classes.map(([name]) => name).sort()).toEqual([
      'BrokerError',
      'BusyError',
      'ClosedError',
      'HandlerError',
      'HandshakeError',
      'NackError',
      'NotReadyError',
      'QueueFullError',
      'TimeoutError',
      'WrongSocketTypeError',
    ]);
    const full = new QueueFullError(5);
    expect(full).toMatchObject({
      name: 'QueueFullError',
      code: ClientErrorCode.QueueFull,
      limit: 5,
    });
    const cause = new Error('boom');
    expect(new HandlerError('t', 'id', cause)).toMatchObject({
      cause,
      topic: 't',
      messageId: 'id',
    });
  });
});
