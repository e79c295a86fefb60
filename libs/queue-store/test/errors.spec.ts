import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isZmqMqError, ZmqMqError } from '@zmq-mq/protocol';
import * as api from '../src';
import { QueueDefinitionError, StoreErrorCode, StoreFailedError, UnknownQueueError } from '../src';

describe('errors', () => {
  const codes = Object.values(StoreErrorCode);

  it('has unique codes in the ZMQMQ_ERR_STORE_ namespace', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^ZMQMQ_ERR_STORE_[A-Z_]+$/);
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const code of codes) expect(readme).toContain(`\`${code}\``);
  });

  it('gives every exported error class a name, a code and its fields', () => {
    const classes = Object.values(api as Record<string, unknown>).filter(
      (v) => typeof v === 'function' && v.prototype instanceof ZmqMqError,
    );
    expect(classes).toHaveLength(codes.length);
    const err = new QueueDefinitionError('q', 'maxMessages', 0, 'must be an integer in 1..10');
    expect(err).toMatchObject({
      name: 'QueueDefinitionError',
      code: StoreErrorCode.InvalidDefinition,
    });
    expect(err).toMatchObject({ queue: 'q', field: 'maxMessages', value: 0 });
    expect(err.message).toBe(
      'queue definition of queue "q": maxMessages must be an integer in 1..10 (got 0)',
    );
    expect(isZmqMqError(new UnknownQueueError('x'), StoreErrorCode.UnknownQueue)).toBe(true);
    const cause = new Error('disk full');
    const failed = new StoreFailedError('append', { cause });
    expect(failed.cause).toBe(cause);
    expect(failed.message).toContain('disk full');
  });
});
