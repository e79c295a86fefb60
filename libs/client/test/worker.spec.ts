import { defineTopics, encodeTyped, jsonCodec, payloadOf, topic } from '@zmq-mq/protocol';
import { Push } from 'zeromq';
import { ClientErrorCode, Worker } from '../src';
import type { HandlerError } from '../src';
import { Closer, take, waitFor } from '@zmq-mq/protocol/testing';

// A bound PUSH stands in for the broker's push socket; it strips the topic as the broker does.
async function pusher(): Promise<Push> {
  const push = new Push({ linger: 0 });
  await push.bind('tcp://127.0.0.1:*');
  return push;
}

const topics = defineTopics({ jobs: topic(jsonCodec<{ n: number }>()) });

function workItem(n: number, format: 'payload' | 'full' = 'payload'): Buffer[] {
  const [frame0, meta] = encodeTyped(topics, 'jobs', { n });
  return format === 'full' ? [frame0!, meta!] : [payloadOf(frame0!), meta!];
}

describe('Worker', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  it('yields work items with the topic from the metadata, in order', async () => {
    const push = track(await pusher());
    const worker = track(new Worker({ connect: push.lastEndpoint!, topics }));
    for (let i = 0; i < 3; i++) await push.send(workItem(i));
    const items = await take(worker, 3);
    expect(items.map((i) => [i.topic, i.body.n])).toEqual([
      ['jobs', 0],
      ['jobs', 1],
      ['jobs', 2],
    ]);
  });

  it('reads the full format, and bare payloads with its codec', async () => {
    const push = track(await pusher());
    const full = track(new Worker({ connect: push.lastEndpoint!, topics, pushFormat: 'full' }));
    await push.send(workItem(5, 'full'));
    expect((await take(full, 1))[0]).toMatchObject({ topic: 'jobs', body: { n: 5 } });
    const bare = track(await pusher());
    const untyped = track(new Worker({ connect: bare.lastEndpoint!, codec: 'raw' }));
    await bare.send('plain bytes');
    const [item] = await take(untyped, 1);
    expect(item!.topic).toBe('');
    expect(Buffer.from(item!.body as Uint8Array).toString()).toBe('plain bytes');
    expect(item!.meta.bare).toBe(true);
  });

  it('run() keeps at most `concurrency` handlers in flight and reports failures', async () => {
    const push = track(await pusher());
    const worker = track(new Worker({ connect: push.lastEndpoint!, topics }));
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    const failures: HandlerError[] = [];
    const run = worker.run(
      async (item) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        if (item.body.n === 3) throw new Error('boom');
        done.push(item.body.n);
      },
      { concurrency: 3, onHandlerError: (e) => failures.push(e) },
    );
    for (let i = 0; i < 12; i++) await push.send(workItem(i));
    await waitFor(() => done.length + failures.length === 12, 10000, '12 handled');
    await worker.close();
    await run;
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(failures.map((f) => [f.code, f.topic, (f.cause as Error).message])).toEqual([
      [ClientErrorCode.Handler, 'jobs', 'boom'],
    ]);
    expect(worker.stats()).toMatchObject({ delivered: 12, handlerErrors: 1 });
  });

  it('goes on when its hooks throw: counted, warned, no slot lost, run() still resolves', async () => {
    // Jest's sandbox keeps 'warning' events from its `process`: watch the calls instead.
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const push = track(await pusher());
      const worker = track(
        new Worker({
          connect: push.lastEndpoint!,
          topics,
          onError: () => {
            throw new Error('decode hook bug');
          },
        }),
      );
      const done: number[] = [];
      const run = worker.run(
        (item) => {
          if (item.body.n % 2 === 1) throw new Error('handler failed');
          done.push(item.body.n);
        },
        {
          concurrency: 1,
          onHandlerError: () => {
            throw new Error('handler hook bug');
          },
        },
      );
      for (let i = 0; i < 6; i++) {
        await push.send(workItem(i));
        await push.send([Buffer.from('not json'), workItem(0)[1]!]); // undecodable
      }
      await waitFor(
        () => worker.stats().delivered === 6 && worker.stats().undecodable === 6,
        10000,
        '6 delivered and 6 undecodable',
      );
      await waitFor(() => worker.stats().handlerErrors === 3, 10000, '3 handler errors');
      await worker.close();
      await run; // resolves: every slot was given back
      expect(done).toEqual([0, 2, 4]);
      expect(worker.stats()).toMatchObject({ handlerErrors: 3, undecodable: 6, hookErrors: 9 });
      const calls = warn.mock.calls.map(([message, options]) => [
        String(message).replace(/ threw.*/, ''),
        (options as { code?: string }).code,
      ]);
      // Every throw counted; one warning per hook in 10 s.
      expect(calls.sort()).toEqual([
        ['zmq-mq worker: onError', 'ZMQMQ_HOOK_THREW'],
        ['zmq-mq worker: onHandlerError', 'ZMQMQ_HOOK_THREW'],
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('validates pushFormat and concurrency', async () => {
    expect(() => new Worker({ pushFormat: 'x' as 'full' })).toThrow(/^pushFormat: must be one of/);
    const worker = track(new Worker());
    await expect(worker.run(() => undefined, { concurrency: 0 })).rejects.toThrow(
      /^concurrency: must be an integer >= 1/,
    );
  });
});
