import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BindError, BrokerErrorCode, BrokerStateError, isZmqError } from '../src';

describe('broker errors', () => {
  it('documents every code, each unique and namespaced', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const codes = Object.values(BrokerErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) {
      expect(code).toMatch(/^ZMQMQ_ERR_[A-Z_]+$/);
      expect(readme).toContain(`\`${code}\``);
    }
  });

  it('carries the socket and endpoint, and recognises zeromq errors by code', () => {
    const cause = Object.assign(new Error('Address already in use'), { code: 'EADDRINUSE' });
    const err = new BindError('push', 'tcp://127.0.0.1:5557', { cause });
    expect(err).toMatchObject({
      name: 'BindError',
      code: 'ZMQMQ_ERR_BIND',
      socket: 'push',
      endpoint: 'tcp://127.0.0.1:5557',
    });
    expect(err.message).toBe('cannot bind push to tcp://127.0.0.1:5557: Address already in use');
    expect(new BrokerStateError('x').code).toBe('ZMQMQ_ERR_BROKER_STATE');
    expect(isZmqError(cause, 'EADDRINUSE')).toBe(true);
    expect(isZmqError(new Error('EAGAIN'), 'EAGAIN')).toBe(false);
  });
});
