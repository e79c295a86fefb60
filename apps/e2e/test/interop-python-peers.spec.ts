// Plain pyzmq programs, written as a user of the original design writes them (fixtures/
// producer.py and consumer.py), talk to a broker: the subscriber gets every frame unchanged,
// the puller gets the payload after the first space. The same scenario runs against the
// original design's pyzmq broker (the reference) and against ours.
import { encodeEnvelope, json } from '@zmq-mq/protocol';
import { pythonPayload } from '@zmq-mq/protocol/testing';
import {
  PythonConsumer,
  frames,
  startBrokerProcess,
  startEmbeddedBroker,
  startOriginalBroker,
  withoutProbes,
  type RunningBroker,
} from '../src/interop-peers';
import type { TestProcess } from '../src/process';
import { startPython } from '../src/python';

const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const big = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 256));
const END = frames('interop.end .');

/** Sent in this order; the last one tells the consumers that the sequence is complete. */
const SEQUENCE: Buffer[][] = [
  frames('abc hello1700000000.25'),
  frames('interop payload with  spaces, and a trailing one '),
  frames(Buffer.concat([Buffer.from('interop.bin '), everyByte])),
  frames('interop.utf8 héllo wörld, 日本語 🚀'),
  frames('interop.empty '),
  frames('interop.multi part-0', Buffer.from([0, 0x20, 0xff]), Buffer.alloc(0), 'third frame'),
  encodeEnvelope('orders.created', { id: 7, note: 'café' }, json),
  frames(Buffer.concat([Buffer.from('interop.big '), big])),
  // Outside our topic rules, yet forwarded as the original design does:
  frames('no-space-at-all'), // the worker gets the whole frame
  frames(Buffer.from([0xff, 0xfe, 0x20, 0x00, 0x20])), // a topic that is not UTF-8
  frames(' leading space'), // an empty topic
  END,
];

/** What a worker gets: frame 0 is `frame.split(b' ', 1)[-1]`, further frames as they were. */
function workItem([first, ...rest]: Buffer[]): Buffer[] {
  return [Buffer.from(pythonPayload(first as Buffer)), ...rest];
}

const isPublishedProbe = (m: Buffer[]) => m.length === 1 && /^probe probe-\d+$/.test(String(m[0]));
const isPushedProbe = (m: Buffer[]) => m.length === 1 && /^probe-\d+$/.test(String(m[0]));
const sameFrames = (a: Buffer[]) => (b: Buffer[]) =>
  a.length === b.length && a.every((f, i) => f.equals(b[i] as Buffer));

const BROKERS: Array<[string, () => Promise<RunningBroker>]> = [
  ['the original pyzmq broker', startOriginalBroker],
  ['our broker (built process)', () => startBrokerProcess()],
  ['our Broker class (embedded)', startEmbeddedBroker],
];

describe.each(BROKERS)('Python peers through %s', (_, startBroker) => {
  let broker: RunningBroker | undefined;
  const processes: Array<{ kill(): void }> = [];

  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill();
    await broker?.stop();
    broker = undefined;
  });

  function producer(args: readonly string[]): TestProcess {
    const proc = startPython('producer.py', [
      '--connect',
      (broker as RunningBroker).ingress,
      ...args,
    ]);
    processes.push(proc);
    return proc;
  }

  it('the subscriber gets every frame unchanged and the puller the payload after the first space', async () => {
    broker = await startBroker();
    const sub = await PythonConsumer.start('sub', broker.publish);
    const pull = await PythonConsumer.start('pull', broker.push);
    processes.push(sub, pull);
    const pub = producer(['--stdin', '--probe', 'probe']);
    await pub.waitForLine(/^ready$/, 10000, 'stdout');
    // The producer sends probes until stdin speaks: once both consumers have seen one, the
    // links are up and subscribed, and nothing sent afterwards is lost to the slow joiner.
    await Promise.all([sub.waitFor(isPublishedProbe), pull.waitFor(isPushedProbe)]);
    pub.child.stdin?.end(
      SEQUENCE.map((m) => JSON.stringify(m.map((f) => f.toString('hex')))).join('\n') + '\n',
    );
    expect(await pub.waitForExit()).toEqual({ code: 0, signal: null });
    expect(pub.stdoutLines).toContain(`sent ${SEQUENCE.length}`);

    const published = await sub.waitFor(sameFrames(END));
    const pushed = await pull.waitFor(sameFrames(workItem(END)));
    expect(withoutProbes(published, isPublishedProbe)).toEqual(SEQUENCE);
    expect(withoutProbes(pushed, isPushedProbe)).toEqual(SEQUENCE.map(workItem));
  });

  it("the original design's demo producer is heard by both consumers", async () => {
    broker = await startBroker();
    const sub = await PythonConsumer.start('sub', broker.publish);
    const pull = await PythonConsumer.start('pull', broker.push);
    processes.push(sub, pull);
    const pub = producer(['--count', '20', '--interval', '0.03']);
    const [published] = await sub.waitFor(() => true);
    const [pushed] = await pull.waitFor(() => true);
    expect(await pub.waitForExit()).toEqual({ code: 0, signal: null });

    const sent = pub.stdoutLines.filter((l) => l.startsWith('sending ')).map((l) => l.slice(8));
    expect(sent).toHaveLength(20);
    expect(String(published?.[0])).toMatch(/^abc hello\d+\.\d+$/);
    expect(sent).toContain(String(published?.[0]));
    expect(String(pushed?.[0])).toMatch(/^hello\d+\.\d+$/);
    expect(sent).toContain(`abc ${String(pushed?.[0])}`);
    // Whatever arrived, arrived whole and in the order it was sent.
    const seen = sub.messages().map((m) => String(m[0]));
    const first = sent.indexOf(seen[0] as string);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual(sent.slice(first, first + seen.length));
  });
});
