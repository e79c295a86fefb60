import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../src';
import { ErrorCode, isZmqMqError, OptionError, TopicError, ZmqMqError } from '../src';

describe('errors', () => {
  const codes = Object.values(ErrorCode);

  it('has unique codes in the ZMQMQ_ERR_ namespace', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^ZMQMQ_ERR_[A-Z_]+$/);
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const code of codes) expect(readme).toContain(`\`${code}\``);
  });

  it('gives every exported error class a name and a code', () => {
    const classes = Object.values(api as Record<string, unknown>).filter(
      (v) => typeof v === 'function' && v.prototype instanceof ZmqMqError,
    );
    expect(classes.length).toBeGreaterThanOrEqual(9);
    const err = new TopicError('a b', 'must not contain a space');
    expect(err.name).toBe('TopicError');
    expect(err.code).toBe(ErrorCode.InvalidTopic);
    expect(err.topic).toBe('a b');
    expect(err.reason).toBe('must not contain a space');
    expect(isZmqMqError(err, ErrorCode.InvalidTopic)).toBe(true);
    expect(isZmqMqError(new Error('x'))).toBe(false);
  });

  it('names the option and the value', () => {
    const err = new OptionError('--queue-max-messages', '-1', 'must be a positive integer');
    expect(err.message).toBe('--queue-max-messages: must be a positive integer (got "-1")');
    const cause = new Error('inner');
    expect(new ZmqMqError('ZMQMQ_ERR_X', 'outer', { cause }).cause).toBe(cause);
  });
});
