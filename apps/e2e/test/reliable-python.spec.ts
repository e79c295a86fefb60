// A Python client of the reliable port (fixtures/reliable_client.py: pyzmq and msgpack only)
// against a stand-in ROUTER that speaks the protocol through our codec: any binding can speak
// it. The README's byte examples are held to what Python's msgpack writes.
import { decodeMeta, encodeTyped, jsonCodec, defineTopics, topic } from '@zmq-mq/protocol';
import { readmeExamples } from '@zmq-mq/protocol/testing';
import { Closer, StandInBroker, waitFor } from '@zmq-mq/client/testing';
import { runPython, startPython } from '../src/python';
import type { TestProcess } from '../src/process';

const topics = defineTopics({ 'orders.created': topic(jsonCodec<{ n: number }>()) });

describe('reliable port: a Python client', () => {
  const closer = new Closer();
  const processes: TestProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill();
    await closer.closeAll();
  });

  async function standIn(): Promise<StandInBroker> {
    const broker = closer.track(await StandInBroker.start());
    broker.declare({ queue: 'orders', prefixes: ['orders.'] });
    return broker;
  }

  function python(args: string[]): TestProcess {
    const p = startPython('reliable_client.py', args);
    processes.push(p);
    return p;
  }

  it('publishes with confirms: every id printed was stored once, with its metadata', async () => {
    const broker = await standIn();
    const client = python(['publish', broker.endpoint, 'orders.created', '25', '--batch', '10']);
    expect(await client.waitForExit(20000)).toEqual({ code: 0, signal: null });
    const confirmed = client.stdoutLines.filter((l) => l.length > 0);
    expect(confirmed).toHaveLength(25);
    const publishes = broker.commands('PUBLISH');
    expect(publishes.map((p) => p.ids.length)).toEqual([10, 10, 5]);
    expect(publishes.flatMap((p) => p.ids).sort()).toEqual([...confirmed].sort());
    const stored = broker.queues.get('orders')!.ready;
    expect(stored.map((m) => m.id).sort()).toEqual([...confirmed].sort());
    for (const [i, m] of stored.entries()) {
      expect(m.frames[0]!.toString()).toBe(`orders.created {"n": ${i}}`);
      expect(decodeMeta(m.frames[1]!)).toMatchObject({ id: m.id, topic: 'orders.created' });
    }
    expect(broker.commands('HELLO')).toEqual([
      { type: 'HELLO', v: 1, heartbeat: 1000, name: 'reliable_client.py' },
    ]);
    await waitFor(() => broker.commands('BYE').length === 1);
  });

  it('hears a NACK with its code and exits 1', async () => {
    const broker = await standIn();
    broker.onPublish = (id) => ({
      code: 'queue-full',
      message: `no room for ${id}`,
      queue: 'orders',
      limit: 3,
    });
    const client = python(['publish', broker.endpoint, 'orders.created', '2']);
    expect(await client.waitForExit(20000)).toEqual({ code: 1, signal: null });
    expect(client.stdoutLines.filter((l) => l.length > 0)).toEqual([]);
    expect(client.stderrLines.filter((l) => l.startsWith('NACK '))).toHaveLength(2);
    expect(client.stderrLines[0]).toMatch(/^NACK \S+ queue-full no room for \S+$/);
  });

  it('consumes with credit, NAKs first attempts and ACKs the redeliveries', async () => {
    const broker = await standIn();
    for (let n = 0; n < 6; n++) {
      broker.enqueue(
        'orders',
        `o-${n}`,
        encodeTyped(topics, 'orders.created', { n }, { id: `o-${n}` }),
      );
    }
    const client = python([
      'consume',
      broker.endpoint,
      'orders',
      '6',
      '--credit',
      '4',
      '--nak-first',
    ]);
    expect(await client.waitForExit(20000)).toEqual({ code: 0, signal: null });
    const lines = client.stdoutLines.filter((l) => l.length > 0).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    for (let n = 0; n < 6; n++) {
      const seen = lines.filter((l) => l.id === `o-${n}`);
      expect(seen.map((l) => l.attempt)).toEqual([1, 2]);
      expect(seen[0]).toMatchObject({
        queue: 'orders',
        topic: 'orders.created',
        payload: `{"n":${n}}`,
      });
    }
    const queue = broker.queues.get('orders')!;
    expect(queue.acked).toBe(6);
    expect(broker.peakHeld).toBeLessThanOrEqual(4);
    expect(broker.commands('CONSUME')).toEqual([{ type: 'CONSUME', queue: 'orders', credit: 4 }]);
    expect(broker.commands('NAK').flatMap((c) => c.entries)).toHaveLength(6);
    await waitFor(() => broker.commands('BYE').length === 1);
  });

  it("writes the README's example bodies byte for byte with Python's msgpack", () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(15);
    const code = [
      'import ast, json, sys, msgpack',
      'print(json.dumps([msgpack.packb(ast.literal_eval(x)).hex() for x in json.load(sys.stdin)]))',
    ].join('\n');
    const out = JSON.parse(
      runPython(code, JSON.stringify(examples.map((e) => e.python))).toString(),
    );
    expect(out).toEqual(examples.map((e) => e.hex));
  });
});
