// Queue limits: a full queue refuses confirmed publishers with a NACK naming the limit, or drops
// its oldest messages (counted); either way the broker's memory and disk stay bounded.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfirmingProducer, NackError, Producer } from '@zmq-mq/client';
import { waitFor } from '@zmq-mq/protocol/testing';
import { appMain } from '../src/paths';
import { startNode } from '../src/process';
import { durableFixture } from './durable-fixture';

const FLOOD = 20_000;
const KIB = 1024;

describe('durable queues: limits', () => {
  const fixture = durableFixture();

  it('NACKs confirmed publishes past max-messages, naming the queue and the limit; produce --confirm exits 1', async () => {
    const broker = await fixture.broker(['--queue', 'small=small.;max-messages=100']);
    const produce = fixture.process(
      startNode(appMain('producer'), [
        ...['--confirm', '-c', broker.ports.reliable, '-t', 'small.x', '--count', '150', '{"n":1}'],
      ]),
    );
    expect((await produce.waitForExit(20_000)).code).toBe(1);
    expect(produce.stderrLines.join('\n')).toMatch(
      /not confirmed: .*queue "small" is full: maxMessages 100 reached/,
    );
    expect(produce.stderrLines.join('\n')).toMatch(
      /100 confirmed; 50 not confirmed \(queue-full: 50\)/,
    );
    expect(await broker.queue('small')).toMatchObject({
      messages: 100,
      counters: { published: 100, rejected: 50 },
    });
  });

  it('refuses a confirmed flood at max-bytes, every NACK counted, memory and disk bounded', async () => {
    const broker = await fixture.broker(['--queue', 'full=full.;max-bytes=1MiB']);
    const producer = fixture.client(new ConfirmingProducer({ connect: broker.ports.reliable }));
    const body = 'x'.repeat(KIB);
    /** Sends n confirmed messages; resolves with how many were confirmed and refused. */
    const send = async (from: number, n: number): Promise<{ ok: number; full: number }> => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: n }, (_, i) =>
          producer.send('full.x', `${from + i} ${body}`, { id: `f${from + i}` }),
        ),
      );
      let ok = 0;
      let full = 0;
      for (const o of outcomes) {
        if (o.status === 'fulfilled') ok++;
        else if (o.reason instanceof NackError && o.reason.reason === 'queue-full') full++;
        else throw o.reason;
      }
      return { ok, full };
    };
    const first = await send(0, 2000);
    // 1 MiB holds the first 900 or so of these 1,1xx-byte messages; the rest are refused.
    expect(first.ok).toBeGreaterThan(800);
    expect(first.ok).toBeLessThan(1000);
    expect(first.full).toBe(2000 - first.ok);
    const kept = await broker.queue('full');
    expect(kept).toMatchObject({ messages: first.ok, counters: { rejected: first.full } });
    expect(kept.bytes).toBeLessThanOrEqual(1024 * KIB);

    // Three floods more into the full queue: nothing grows with what was refused.
    const dataFile = join(broker.dataDir, 'data.mdb');
    const disk: number[] = [statSync(dataFile).size];
    const rss: number[] = [broker.rssBytes()];
    for (let round = 1; round <= 3; round++) {
      expect(await send(round * FLOOD, FLOOD)).toEqual({ ok: 0, full: FLOOD });
      disk.push(statSync(dataFile).size);
      rss.push(broker.rssBytes());
    }
    expect(await broker.queue('full')).toMatchObject({
      messages: first.ok,
      bytes: kept.bytes,
      counters: { rejected: first.full + 3 * FLOOD },
    });
    expect(disk[3]).toBeLessThanOrEqual(disk[0]! + 1024 * 1024);
    expect(rss[3]).toBeLessThan(rss[1]! * 1.25 + 32 * 1024 * 1024);
  }, 120_000);

  it('drops the oldest under a plain-ingress flood, counted, memory and disk bounded', async () => {
    // No worker takes the plain work path here: its in-memory queue is kept to 4 MiB (by default
    // it holds up to 64 MiB, which would fill during these floods and hide what this measures).
    const broker = await fixture.broker([
      ...['--queue', 'ring=ring.;max-messages=1000;overflow=drop-oldest'],
      ...['--queue-max-bytes', '4MiB'],
    ]);
    const producer = fixture.client(
      new Producer({ connect: broker.ports.ingress, queuePolicy: 'wait' }),
    );
    await producer.ready();
    const body = 'x'.repeat(KIB);
    const flood = async (from: number): Promise<void> => {
      for (let i = from; i < from + FLOOD; i++) await producer.send('ring.x', `${i} ${body}`);
      await producer.flush(30_000);
    };
    const settled = (published: number) =>
      waitFor(
        async () => (await broker.queue('ring')).counters.published === published,
        30_000,
        `${published} messages appended`,
      );
    await flood(0);
    await settled(FLOOD);
    expect(await broker.queue('ring')).toMatchObject({
      messages: 1000,
      counters: { droppedOldest: FLOOD - 1000 },
    });
    // Three floods more: nothing grows with what went through, only with what is kept. (The
    // process's memory levels off: measured 140, 148, 149, 153 and 127, 149, 152, 154 MB after
    // the first flood and each of these three.)
    const dataFile = join(broker.dataDir, 'data.mdb');
    const disk: number[] = [statSync(dataFile).size];
    const rss: number[] = [broker.rssBytes()];
    for (let round = 1; round <= 3; round++) {
      await flood(round * FLOOD);
      await settled((round + 1) * FLOOD);
      disk.push(statSync(dataFile).size);
      rss.push(broker.rssBytes());
    }
    expect(await broker.queue('ring')).toMatchObject({
      messages: 1000,
      counters: { droppedOldest: 4 * FLOOD - 1000 },
    });
    expect((await broker.queue('ring')).bytes).toBeLessThan(1000 * (KIB + 200));
    // 80 MB went through; the file holds the 1 MB kept and LMDB's free pages, and levels off
    // (measured 3.0, 3.6, 3.6 MB and 3.0, 3.3, 3.3 MB).
    expect(disk[3]).toBeLessThan(8 * 1024 * 1024);
    expect(disk[3]).toBeLessThanOrEqual(disk[1]! + 1024 * 1024);
    expect(rss[3]).toBeLessThan(rss[1]! * 1.25 + 32 * 1024 * 1024);
  }, 120_000);
});
