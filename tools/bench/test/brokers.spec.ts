import { parseReadyLine, parseStartedLine } from '../src/brokers';

describe('reading a broker’s bound endpoints', () => {
  it('reads a `ready` line', () => {
    expect(parseReadyLine('ready tcp://127.0.0.1:1 tcp://127.0.0.1:2 tcp://127.0.0.1:3\n')).toEqual(
      {
        ingress: 'tcp://127.0.0.1:1',
        publish: 'tcp://127.0.0.1:2',
        push: 'tcp://127.0.0.1:3',
      },
    );
    expect(() => parseReadyLine('ready tcp://127.0.0.1:1')).toThrow(/not a ready line/);
  });

  it('reads our broker’s "broker started" log line', () => {
    const line = JSON.stringify({
      msg: 'broker started',
      ingress: 'a',
      publish: 'b',
      push: 'c',
      level: 30,
    });
    expect(parseStartedLine(line)).toEqual({ ingress: 'a', publish: 'b', push: 'c' });
    expect(() => parseStartedLine('{"msg":"broker started"}')).toThrow(/no endpoints/);
  });
});
