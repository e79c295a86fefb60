// The three programs as processes: broker, `consume sub`, `consume pull`, then `produce`; the
// consumers' output is checked message by message. Also the demo mode for a few seconds.
import { freeEndpoint } from '@zmq-mq/protocol/testing';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';
import { appMain } from '../src/paths';
import { startNode, TestProcess } from '../src/process';

/** `text` as a literal inside a RegExp. */
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    // Messages flow through the broker once a subscriber has one.
    const sub = start('consumer', ['sub', '--connect', broker.publish, '--raw', '--count', '1']);
    expect(await sub.waitForExit()).toEqual({ code: 0, signal: null });
    // Once the broker is gone, its 10,000-message queue fills before the program next yields to
    // the event loop (each send resolves at once until it is full), and the next send waits for
    // room (queue policy 'wait'): by the time the signal is handled, messages are queued.
    await broker.stop();
    broker = undefined;
    await produce.waitForLine(/lost tcp:\/\/127\.0\.0\.1:\d+, reconnecting/, 10000, 'stderr');
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

  it('consume says once when it has no link after --ready-timeout, and keeps waiting', async () => {
    const nobody = await freeEndpoint();
    const sub = start('consumer', ['sub', '--connect', nobody, '--ready-timeout', '300']);
    const notice = `zmq-mq-consume: no link within 300 ms to ${nobody}; is the broker running? (still waiting)`;
    await sub.waitForLine(new RegExp(`^${escape(notice)}$`), 10000, 'stderr');
    expect(await sub.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(sub.stderrLines.filter((l) => l)).toEqual([notice]);
  });

  it('consume and produce aimed at the wrong broker port say so, naming the right one', async () => {
    broker = await startBrokerProcess();
    const refusal = (endpoint: string, role: string, right: string): RegExp =>
      new RegExp(
        `^zmq-mq-(consume|produce): ${escape(endpoint)} refused the handshake: a ${role}'s \\w+ ` +
          `socket cannot talk to the socket there, so this is likely the wrong port; a ${role} ` +
          `connects to the broker's ${right} endpoint \\(default tcp://127\\.0\\.0\\.1:\\d+\\)\\. ` +
          `ZeroMQ does not retry this endpoint\\.$`,
      );
    // A subscriber at the ingress (SUB to SUB), a worker at the publish port (PULL to PUB).
    const sub = start('consumer', ['sub', '--connect', broker.ingress]);
    const pull = start('consumer', ['pull', '--connect', broker.publish]);
    await sub.waitForLine(refusal(broker.ingress, 'subscriber', 'publish'), 10000, 'stderr');
    await pull.waitForLine(refusal(broker.publish, 'worker', 'push'), 10000, 'stderr');
    // A producer at the publish port (XPUB to PUB): the refusal, then its ready timeout.
    const produce = start('producer', ['--connect', broker.publish, '--ready-timeout', '500', '1']);
    expect(await produce.waitForExit()).toEqual({ code: 1, signal: null });
    expect(produce.stderrLines.filter((l) => l)).toEqual([
      expect.stringMatching(refusal(broker.publish, 'producer', 'ingress')),
      `zmq-mq-produce: no link within 500 ms to ${broker.publish}; ${broker.publish} refused this socket type: likely the wrong port`,
    ]);
    for (const consumer of [sub, pull]) {
      expect(await consumer.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      // said once; never "connected", nor "lost …, reconnecting" for a link that never was
      expect(consumer.stderrLines.filter((l) => l)).toHaveLength(1);
    }
  });

  it('produce - at a terminal: one line saying it reads standard input until Ctrl-D, then what is typed', async () => {
    broker = await startBrokerProcess();
    const sub = start('consumer', ['sub', '--connect', broker.publish, '--raw', '--count', '2']);
    await sub.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    // script(1) runs the program on a pseudo-terminal: its stdin, stdout and stderr are a
    // terminal, as when a person types; what the test writes is what they type.
    const command = [process.execPath, appMain('producer'), '--connect', broker.ingress]
      .concat(['-t', 'typed', '--codec', 'raw', '-'])
      .join(' ');
    const tty = new TestProcess('script', ['-qec', command, '/dev/null']);
    procs.push(tty);
    const prompt =
      'zmq-mq-produce: reading messages from standard input, one per line; Ctrl-D ends';
    await tty.waitForLine(new RegExp(`^${escape(prompt)}\\r?$`), 10000, 'stdout');
    const promptSeen = Date.now();
    tty.child.stdin?.write('first line\n');
    await sub.waitForLine(/^typed first line$/, 10000, 'stdout');
    // Not a wait for an event but the window being checked: a progress line would be written
    // once a second, so the run must last past that before input ends.
    const windowMs = 1300 - (Date.now() - promptSeen);
    if (windowMs > 0) await new Promise((resolve) => setTimeout(resolve, windowMs));
    tty.child.stdin?.write('second\n\x04'); // Ctrl-D at the start of a line: end of input
    expect(await tty.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await sub.waitForExit()).toEqual({ code: 0, signal: null });
    expect(sub.stdoutLines.filter((l) => l)).toEqual(['typed first line', 'typed second']);
    const screen = tty.stdoutLines.map((l) => l.replace(/\r$/, '')).filter((l) => l);
    // The prompt, the typed lines as the terminal echoes them, the summary; no progress line.
    expect(screen).toEqual([
      prompt,
      'first line',
      'second',
      expect.stringMatching(/^zmq-mq-produce: sent 2 messages to tcp:\/\/127\.0\.0\.1:\d+ in /),
    ]);
    expect(tty.output).not.toContain(' msg/s\u001b[K');
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
      expect(badPort.stderrLines[0]).toMatch(/^zmq-mq-consume: --connect: .*\(got "/);
    }
    const badPortProduce = start('producer', ['--connect', 'tcp://127.0.0.1:70000', '1']);
    expect(await badPortProduce.waitForExit(5000)).toEqual({ code: 2, signal: null });
    expect(badPortProduce.stderrLines.filter((l) => l)).toHaveLength(1);
  });
});
