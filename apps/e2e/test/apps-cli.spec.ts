// The three programs as processes: broker, `consume sub`, `consume pull`, then `produce`; the
// consumers' output is checked message by message. Also the demo mode for a few seconds.
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';

interface Line {
  topic: string;
  meta: { id: string; contentType: string; bare: boolean; topic?: string };
  body: unknown;
  encoding?: string;
}

describe('producer and consumer programs with the broker program', () => {
  let broker: RunningBroker | undefined;
  const procs: TestProcess[] = [];
  function start(app: 'producer' | 'consumer', args: string[]): TestProcess {
    const p = startNode(appMain(app), args);
    procs.push(p);
    return p;
  }
  afterEach(async () => {
    for (const p of procs.splice(0)) p.kill();
    await broker?.stop();
    broker = undefined;
  });

  async function consumers(extra: string[] = []): Promise<[TestProcess, TestProcess]> {
    const b = broker as RunningBroker;
    const sub = start('consumer', ['sub', '--connect', b.publish, ...extra]);
    const pull = start('consumer', ['pull', '--connect', b.push, ...extra]);
    await sub.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    await pull.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    return [sub, pull];
  }

  it('delivers produced messages to a subscriber and a worker, one JSON line each', async () => {
    broker = await startBrokerProcess();
    const [sub, pull] = await consumers(['--count', '6']);
    const produce = start('producer', [
      '--connect',
      broker.ingress,
      '--topic',
      'orders.created',
      '--count',
      '6',
      '--codec',
      'msgpack',
      '{"n":1}',
      '{"n":2,"tags":["a b"]}',
      '"text"',
    ]);
    expect(await produce.waitForExit()).toEqual({ code: 0, signal: null });
    expect(produce.stderrLines.join('\n')).toMatch(
      /sent 6 messages to tcp:\/\/127\.0\.0\.1:\d+ in/,
    );
    const bodies = [
      { n: 1 },
      { n: 2, tags: ['a b'] },
      'text',
      { n: 1 },
      { n: 2, tags: ['a b'] },
      'text',
    ];
    for (const consumer of [sub, pull]) {
      expect(await consumer.waitForExit()).toEqual({ code: 0, signal: null });
      const lines = consumer.stdoutLines.filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
      expect(lines.map((l) => l.body)).toEqual(bodies);
      for (const l of lines) {
        expect(l.topic).toBe('orders.created');
        expect(l.meta).toMatchObject({ contentType: 'application/msgpack', bare: false });
        expect(l.meta.id).toMatch(/^[0-9a-f-]{36}$/);
      }
      // the same message ids reach both sides
      expect(new Set(lines.map((l) => l.meta.id)).size).toBe(6);
    }
    const ids = (p: TestProcess) =>
      p.stdoutLines.filter((l) => l).map((l) => (JSON.parse(l) as Line).meta.id);
    expect(ids(sub)).toEqual(ids(pull));
  });

  it('sends standard input lines as raw bytes; --raw prints frame 0 as it came', async () => {
    broker = await startBrokerProcess();
    const [sub, pull] = await consumers(['--raw', '--count', '2']);
    const produce = startNode(
      appMain('producer'),
      ['--connect', broker.ingress, '-t', 'log.line', '--codec', 'raw', '-'],
      { stdin: 'first line\nsecond one\n' },
    );
    procs.push(produce);
    expect(await produce.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await sub.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await pull.waitForExit()).toEqual({ code: 0, signal: null });
    expect(sub.stdoutLines.filter((l) => l)).toEqual([
      'log.line first line',
      'log.line second one',
    ]);
    expect(pull.stdoutLines.filter((l) => l)).toEqual(['first line', 'second one']);
  });

  it('runs the demo: "abc hello<time>" once a second, and everyone exits 0 on SIGINT/SIGTERM', async () => {
    broker = await startBrokerProcess();
    const [sub, pull] = await consumers();
    const demo = start('producer', ['--connect', broker.ingress]);
    const lines = await sub.waitForStdoutLines(3, 8000);
    await pull.waitForStdoutLines(3, 8000);
    expect(await demo.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(await sub.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await pull.stop('SIGINT')).toEqual({ code: 0, signal: null });
    const sent = demo.stdoutLines.filter((l) => l);
    expect(sent[0]).toMatch(/^sending abc hello\d{10}(\.\d+)?$/);
    const parsed = lines.slice(0, 3).map((l) => JSON.parse(l) as Line);
    const texts = parsed.map((l) => Buffer.from(l.body as string, 'base64').toString());
    for (const [i, l] of parsed.entries()) {
      expect(l).toMatchObject({ topic: 'abc', encoding: 'base64' });
      expect(`sending abc ${texts[i]}`).toBe(sent[i]);
    }
    // one per second
    const seconds = texts.map((t) => Number(t.slice('hello'.length)));
    expect(seconds[2]! - seconds[0]!).toBeGreaterThan(1.8);
    expect(seconds[2]! - seconds[0]!).toBeLessThan(2.5);
    const pulled = pull.stdoutLines
      .filter((l) => l)
      .slice(0, 3)
      .map((l) => JSON.parse(l) as Line);
    expect(pulled.map((l) => l.body)).toEqual(parsed.map((l) => l.body));
    expect(demo.stderrLines.join('\n')).toMatch(/sent \d+ messages/);
  });

  it('produce stops on SIGTERM while its queue is full and the broker is gone, and counts what it held', async () => {
    // no worker: a drain timeout would only wait for one
    broker = await startBrokerProcess(['--drain-timeout', '0']);
    const produce = start('producer', [
      '--connect',
      broker.ingress,
      '--codec',
      'raw',
      '--interval',
      '0',
      '--count',
      '100000000',
      'x',
    ]);
    // Sending as fast as it can; once the broker is gone, its 10,000-message queue fills at once
    // and the next send waits for room (queue policy 'wait').
    await new Promise((resolve) => setTimeout(resolve, 500));
    await broker.stop();
    broker = undefined;
    await produce.waitForLine(/lost tcp:\/\/127\.0\.0\.1:\d+, reconnecting/, 10000, 'stderr');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // One signal is enough: the close timeout (5 s) passes, the queue is counted, exit 1.
    expect(await produce.stop('SIGTERM', 9000)).toEqual({ code: 1, signal: null });
    expect(produce.stderrLines.join('\n')).toMatch(
      /sent \d+ messages to .*; \d+ of them still queued, not delivered/,
    );
    // and says the link went down, so what was in flight then is not silently gone either
    expect(produce.stderrLines.join('\n')).toMatch(
      /; the broker link went down 1 time: messages in flight then may be lost$/m,
    );
  });

  it('rejects invalid options with exit status 2 and one line naming the option', async () => {
    const bad = start('producer', ['--count', 'many']);
    expect(await bad.waitForExit()).toEqual({ code: 2, signal: null });
    expect(bad.stderrLines.filter((l) => l)).toEqual([
      'zmq-mq-produce: --count: must be an integer >= 0 (got "many")',
    ]);
    const badSub = start('consumer', ['sub', '--topic', 'a b']);
    expect(await badSub.waitForExit()).toEqual({ code: 2, signal: null });
    expect(badSub.stderrLines.filter((l) => l)).toHaveLength(1);
    expect(badSub.stderrLines[0]).toMatch(/^zmq-mq-consume: --topic: /);
    // Refused by the SDK rather than the command line: still bad input, still exit status 2.
    const longPath = `ipc:///tmp/${'x'.repeat(120)}`;
    const badPath = start('producer', ['--connect', longPath, '-t', 'a', '1']);
    expect(await badPath.waitForExit()).toEqual({ code: 2, signal: null });
    expect(badPath.stderrLines.filter((l) => l)).toEqual([
      `zmq-mq-produce: connect: File name too long (got "${longPath}")`,
    ]);
    const badPull = start('consumer', ['pull', '--connect', longPath]);
    expect(await badPull.waitForExit()).toEqual({ code: 2, signal: null });
    expect(badPull.stderrLines.filter((l) => l)).toEqual([
      `zmq-mq-consume: connect: File name too long (got "${longPath}")`,
    ]);
    // libzmq accepts these connects and then never links: the consumer used to wait for ever
    // without a word, the producer to blame the broker after its ready timeout.
    for (const endpoint of ['tcp://127.0.0.1:99999', 'tcp://127.0.0.1:0', 'tcp://[::1:5557']) {
      const badPort = start('consumer', ['sub', '--connect', endpoint]);
      expect(await badPort.waitForExit(5000)).toEqual({ code: 2, signal: null });
      expect(badPort.stderrLines.filter((l) => l)).toHaveLength(1);
      expect(badPort.stderrLines[0]).toMatch(/^zmq-mq-consume: connect: .*\(got "/);
    }
    const badPortProduce = start('producer', ['--connect', 'tcp://127.0.0.1:70000', '1']);
    expect(await badPortProduce.waitForExit(5000)).toEqual({ code: 2, signal: null });
    expect(badPortProduce.stderrLines.filter((l) => l)).toHaveLength(1);
  });
});
