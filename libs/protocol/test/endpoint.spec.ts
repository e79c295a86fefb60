import {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  needsIpv6,
  parseBindEndpoint,
  parseConnectEndpoints,
} from '../src/endpoint';
import { optionProblem } from '../src/testing';

describe('default endpoints', () => {
  it("are the original design's ports on loopback", () => {
    expect([DEFAULT_INGRESS, DEFAULT_PUBLISH, DEFAULT_PUSH]).toEqual([
      'tcp://127.0.0.1:5555',
      'tcp://127.0.0.1:5556',
      'tcp://127.0.0.1:5557',
    ]);
  });
});

describe('parseBindEndpoint', () => {
  it('takes tcp with a port, * or 0, ipc and inproc, unchanged', () => {
    for (const ep of [
      'tcp://127.0.0.1:5555',
      'tcp://*:*',
      'tcp://0.0.0.0:0',
      'tcp://[::1]:*',
      'tcp://localhost:65535',
      'ipc:///tmp/zmqmq.sock',
      'ipc://@abstract',
      'inproc://a',
    ]) {
      expect(parseBindEndpoint('--ingress', ep)).toBe(ep);
    }
  });

  it.each([
    [undefined, '--x: must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555 (got undefined)'],
    ['  ', '--x: must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555 (got "  ")'],
    ['ws://127.0.0.1:5555', '--x: must start with tcp://, ipc:// or inproc://'],
    ['127.0.0.1:5555', '--x: must start with tcp://, ipc:// or inproc://'],
    ['tcp://127.0.0.1', '--x: a tcp endpoint must be tcp://host:port'],
    ['tcp://::1:5555', '--x: a tcp endpoint must be tcp://host:port (an IPv6 address in brackets'],
    ['tcp://[::1:5555', '--x: a tcp endpoint must be tcp://host:port'],
    ['tcp://my host:5555', '--x: a tcp endpoint must be tcp://host:port'],
    ['tcp://127.0.0.1:70000', '--x: the port must be 0..65535 or *'],
  ])('refuses %j', (value, message) => {
    expect(optionProblem(() => parseBindEndpoint('--x', value))).toContain(message);
  });
});

describe('parseConnectEndpoints', () => {
  it('takes one endpoint or several, and the fallback for none', () => {
    expect(parseConnectEndpoints('connect', undefined, DEFAULT_PUSH)).toEqual([DEFAULT_PUSH]);
    expect(parseConnectEndpoints('connect', 'tcp://h:1', DEFAULT_PUSH)).toEqual(['tcp://h:1']);
    const many = ['tcp://127.0.0.1:5555', 'tcp://eth0;[::1]:5555', 'ipc:///tmp/x', 'ws://h:80'];
    expect(parseConnectEndpoints('connect', many, DEFAULT_INGRESS)).toEqual(many);
  });

  it.each([
    ['nowhere', 'connect: must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555'],
    ['tcp://a b:1', 'connect: must be a ZeroMQ endpoint'],
    ['tcp://127.0.0.1', 'connect: a tcp endpoint must be tcp://host:port'],
    ['tcp://[::1:5555', 'connect: a tcp endpoint must be tcp://host:port'],
    ['tcp://127.0.0.1:*', 'connect: a tcp endpoint must be tcp://host:port'],
    // libzmq accepts these connects and never links.
    ['tcp://127.0.0.1:0', 'connect: the port must be 1..65535'],
    ['tcp://127.0.0.1:99999', 'connect: the port must be 1..65535'],
    ['tcp://eth0;127.0.0.1:0', 'connect: the port must be 1..65535'],
  ])('refuses %j', (value, message) => {
    expect(optionProblem(() => parseConnectEndpoints('connect', value, DEFAULT_PUSH))).toContain(
      message,
    );
  });

  it('refuses an empty list and a list with an endpoint twice', () => {
    expect(optionProblem(() => parseConnectEndpoints('connect', [], DEFAULT_PUSH))).toContain(
      'connect: needs at least one endpoint',
    );
    const twice = ['tcp://h:1', 'tcp://h:1'];
    expect(optionProblem(() => parseConnectEndpoints('connect', twice, DEFAULT_PUSH))).toContain(
      'connect: lists the same endpoint twice',
    );
  });
});

describe('needsIpv6', () => {
  it('is true for a bracketed IPv6 address, as the endpoint or as the destination after a source', () => {
    expect(needsIpv6('tcp://[::1]:5555')).toBe(true);
    expect(needsIpv6('tcp://[fe80::1%eth0]:5555')).toBe(true);
    expect(needsIpv6('tcp://[::1]:0;[::1]:5555')).toBe(true);
    expect(needsIpv6('tcp://eth0;[::1]:5555')).toBe(true);
  });

  it('is false for IPv4, host names and other transports', () => {
    expect(needsIpv6('tcp://127.0.0.1:5555')).toBe(false);
    expect(needsIpv6('tcp://localhost:5555')).toBe(false);
    expect(needsIpv6('tcp://127.0.0.1:0;127.0.0.1:5555')).toBe(false);
    expect(needsIpv6('ipc:///tmp/[x]')).toBe(false);
    expect(needsIpv6('inproc://[a]')).toBe(false);
  });
});
