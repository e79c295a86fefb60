import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defineTopics,
  encodeEnvelope,
  encodeTyped,
  json,
  jsonCodec,
  topic,
} from '@zmq-mq/protocol';
import { ClientErrorCode, QueueWorker } from '../src';
import type { HandlerError, QueueDelivery, SessionInfo, UntypedTopics } from '../src';
import { Closer, StandInBroker, take, waitFor } from '../src/testing';

const topics = defineTopics({ 'jobs.run': topic(jsonCodec<{ n: number }>()) });

describe('QueueWorker', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  async function standIn(options?: Parameters<typeof StandInBroker.start>[0]) {
    const broker = track(await StandInBroker.start(options));
    broker.declare({ queue: 'jobs', prefixes: ['jobs.'] });
    return broker;
  }

  function enqueue(broker: StandInBroker, count: number, from = 0): void {
    for (let n = from; n < from + count; n++) {
      broker.enqueue('jobs', `job-${n}`, encodeTyped(topics, 'jobs.run', { n }));
    }
  }

  it('run() acks what handlers finish, with at most `concurrency` at once and as credit', async () => {
    const broker = await standIn();
    enqueue(broker, 12);
    const worker = track(new QueueWorker({ connect: broker.endpoint, queue: 'jobs', topics }));
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    const run = worker.run(
      async (d) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setImmediate(r));
        active--;
        done.push(d.body.n);
      },
      { concurrency: 3 },
    );
    await waitFor(() => broker.queues.get('jobs')!.acked === 12);
    await worker.close();
    await run;
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(3);
    expect(broker.peakHeld).toBeLessThanOrEqual(3);
    expect(broker.commands('CONSUME')).toEqual([{ type: 'CONSUME', queue: 'jobs', credit: 3 }]);
    expect(worker.stats()).toMatchObject({ delivered: 12, acked: 12, beyondCredit: 0, held: 0 });
    await waitFor(() => broker.commands('BYE').length === 1);
  });

  it('run() naks a failed delivery with the backoff of its attempt, and it comes again', async () => {
    const broker = await standIn();
    enqueue(broker, 3);
    const worker = track(
      new QueueWorker({
        connect: broker.endpoint,
        queue: 'jobs',
        topics,
        backoff: { initialMs: 10, factor: 3, maxMs: 20 },
      }),
    );
    const attempts: Array<[number, number]> = [];
    const failures: HandlerError[] = [];
    const run = worker.run(
      (d) => {
        attempts.push([d.body.n, d.attempt]);
        if (d.body.n === 1 && d.attempt < 3) throw new Error(`boom ${d.attempt}`);
      },
      { onHandlerError: (e) => failures.push(e) },
    );
    await waitFor(() => broker.queues.get('jobs')!.acked === 3);
    await worker.close();
    await run;
    expect(attempts.filter(([n]) => n === 1)).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(broker.commands('NAK').flatMap((c) => c.entries.map((e) => e.delayMs))).toEqual([
      10, 20,
    ]);
    expect(failures.map((f) => [f.code, f.topic, (f.cause as Error).message])).toEqual([
      [ClientErrorCode.Handler, 'jobs.run', 'boom 1'],
      [ClientErrorCode.Handler, 'jobs.run', 'boom 2'],
    ]);
    expect(worker.stats()).toMatchObject({ handlerErrors: 2, naked: 2, acked: 3 });
  });

  it('for await hands out deliveries to ack, nak, term and extend explicitly', async () => {
    const broker = await standIn();
    enqueue(broker, 4);
    const worker = track(
      new QueueWorker({ connect: broker.endpoint, queue: 'jobs', topics, credit: 4 }),
    );
    const seen: Array<[number, number]> = [];
    for await (const d of worker) {
      seen.push([d.body.n, d.attempt]);
      if (d.body.n === 0) {
        d.progress();
        d.ack();
      } else if (d.body.n === 1 && d.attempt === 1) {
        d.nak(5);
      } else if (d.body.n === 2) {
        d.term('bad job');
        d.ack(); // settled already: ignored
      } else {
        d.ack();
      }
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [1, 2],
    ]);
    const queue = broker.queues.get('jobs')!;
    await waitFor(() => queue.acked === 3 && queue.dead.length === 1);
    expect(queue.dead.map((d) => [d.message.id, d.reason])).toEqual([['job-2', 'bad job']]);
    expect(broker.commands('PROGRESS')).toHaveLength(1);
    expect(broker.commands('NAK')[0]!.entries).toEqual([{ tag: expect.any(Number), delayMs: 5 }]);
    expect(worker.stats()).toMatchObject({ acked: 3, naked: 1, termed: 1, progressed: 1 });
    await waitFor(() => broker.commands('CANCEL').length === 1); // the loop was left
  });

  it('never holds more than its credit: the next delivery comes when one is settled', async () => {
    const broker = await standIn();
    enqueue(broker, 5);
    const worker = track(
      new QueueWorker({ connect: broker.endpoint, queue: 'jobs', topics, credit: 2 }),
    );
    const iterator = worker[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as QueueDelivery<typeof topics>;
    const second = (await iterator.next()).value as QueueDelivery<typeof topics>;
    expect([first.body.n, second.body.n]).toEqual([0, 1]);
    expect(broker.queues.get('jobs')!.ready).toHaveLength(3);
    expect(worker.stats()).toMatchObject({ held: 2, buffered: 0 });
    first.ack();
    const third = (await iterator.next()).value as QueueDelivery<typeof topics>;
    expect(third.body.n).toBe(2);
    expect(broker.queues.get('jobs')!.ready).toHaveLength(2);
    expect(broker.peakHeld).toBe(2);
    expect(worker.stats().beyondCredit).toBe(0);
    await iterator.return?.();
  });

  it('batches acknowledgements: every ackBatch, or after ackFlushMs', async () => {
    const broker = await standIn();
    enqueue(broker, 25);
    const worker = track(
      new QueueWorker({
        connect: broker.endpoint,
        queue: 'jobs',
        topics,
        credit: 100,
        ackBatch: 10,
        ackFlushMs: 20,
      }),
    );
    for (const d of await take(worker, 25)) d.ack();
    await waitFor(() => broker.queues.get('jobs')!.acked === 25);
    expect(broker.commands('ACK').map((a) => a.tags.length)).toEqual([10, 10, 5]);
  });

  it('TERMs an undecodable delivery and reports it to onError', async () => {
    const broker = await standIn();
    broker.enqueue('jobs', 'stray', encodeEnvelope('jobs.other', { n: 9 }, json));
    enqueue(broker, 1);
    const errors: Error[] = [];
    const worker = track(
      new QueueWorker({
        connect: broker.endpoint,
        queue: 'jobs',
        topics,
        onError: (e) => errors.push(e),
      }),
    );
    const [d] = await take(worker, 1);
    expect(d!.body).toEqual({ n: 0 });
    d!.ack();
    const queue = broker.queues.get('jobs')!;
    await waitFor(() => queue.dead.length === 1);
    expect(queue.dead[0]!.reason).toMatch(/^undecodable: topic "jobs.other"/);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ZMQMQ_ERR_UNKNOWN_TOPIC']);
    expect(worker.stats()).toMatchObject({ undecodable: 1, termed: 1 });
  });

  it('declares its queue first when asked, and fails the run on an unknown queue', async () => {
    const broker = track(await StandInBroker.start());
    const declared = track(
      new QueueWorker({
        connect: broker.endpoint,
        queue: 'made',
        declare: { prefixes: ['made.'], maxMessages: 10 },
      }),
    );
    const iterating = take(declared, 1);
    await waitFor(() => broker.commands('CONSUME').length === 1);
    expect(broker.received.map((r) => r.command.type)).toEqual(['HELLO', 'DECLARE', 'CONSUME']);
    expect(broker.queues.get('made')!.definition).toMatchObject({
      prefixes: ['made.'],
      maxMessages: 10,
    });
    broker.enqueue('made', 'm1', encodeEnvelope('made.x', 1, json));
    expect((await iterating)[0]!.body).toBe(1);

    const missing = track(
      new QueueWorker<UntypedTopics>({ connect: broker.endpoint, queue: 'none' }),
    );
    await expect(missing.run(() => undefined)).rejects.toMatchObject({
      code: ClientErrorCode.Broker,
      reason: 'unknown-queue',
      command: 'CONSUME',
      queue: 'none',
    });
  });

  it('resumes its session after a silent broker: consumes again and its held tags stay valid', async () => {
    const broker = await standIn({ heartbeatMs: 30 });
    enqueue(broker, 1);
    const worker = track(
      new QueueWorker({ connect: broker.endpoint, queue: 'jobs', topics, heartbeatMs: 30 }),
    );
    const welcomes: SessionInfo[] = [];
    const errors: Error[] = [];
    worker.on('welcome', (w) => welcomes.push(w));
    worker.on('broker-error', (e) => errors.push(e));
    worker.on('reconnect', () => (broker.silent = false));
    const iterator = worker[Symbol.asyncIterator]();
    const held = (await iterator.next()).value as QueueDelivery<typeof topics>;
    broker.silent = true;
    await waitFor(() => welcomes.length === 2, 5000);
    expect(welcomes[1]).toMatchObject({ reconnected: true, resumed: true, voided: false });
    expect(broker.commands('HELLO')[1]!.session).toBe(welcomes[0]!.session);
    await waitFor(() => broker.commands('CONSUME').length === 2);
    held.ack();
    await waitFor(() => broker.queues.get('jobs')!.acked === 1);
    expect(errors).toEqual([]);
    expect(worker.stats()).toMatchObject({ reconnects: 1, stale: 0, acked: 1 });
    await iterator.return?.();
  });

  it('forgets its held tags on a new epoch; the message comes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-reliable-'));
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const broker = await standIn({ endpoint: `ipc://${dir}/reliable` });
    enqueue(broker, 1);
    const worker = track(new QueueWorker({ connect: broker.endpoint, queue: 'jobs', topics }));
    const iterator = worker[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as QueueDelivery<typeof topics>;
    expect(first.attempt).toBe(1);
    await broker.restart();
    const again = (await iterator.next()).value as QueueDelivery<typeof topics>;
    expect([again.body.n, again.attempt]).toEqual([0, 2]);
    first.ack(); // void: the broker that leased it is gone
    again.ack();
    await waitFor(() => broker.queues.get('jobs')!.acked === 1);
    expect(broker.commands('ACK').flatMap((a) => a.tags)).toEqual([again.tag]);
    expect(worker.stats()).toMatchObject({ stale: 1, acked: 1 });
    await iterator.return?.();
  });

  it('refuses bad options with OptionError', () => {
    expect(() => new QueueWorker({ queue: 'a b' })).toThrow(/queue: must be a queue name/);
    expect(() => new QueueWorker({ queue: 'q', credit: 0 })).toThrow(/credit/);
    expect(() => new QueueWorker({ queue: 'q', declare: { prefixes: [] } })).toThrow(/declare/);
    expect(() => new QueueWorker({ queue: 'q', backoff: { factor: 0.5 } })).toThrow(
      /backoff.factor/,
    );
  });
});
