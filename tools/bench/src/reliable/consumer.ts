// Durable-queue consumer process: consumes the queue through one system's link with manual
// acks, and for each message acks it, then records its publish-to-ack latency (now minus the
// send time in its payload), its producer and sequence number (loss and duplicates).
import { setTimeout as sleep } from 'node:timers/promises';
import { childConfig } from '../messages';
import { AckCounter } from './ack-counter';
import { openConsumer } from './links';
import { withNatsPassword } from './nats-store';
import type { ConsumeLink } from './links';
import { NATS_PASSWORD_ENV, tell } from './messages';
import type { ReliableConsumerConfig, ToReliableConsumer } from './messages';

async function main(): Promise<void> {
  const given = childConfig<ReliableConsumerConfig>();
  const config = {
    ...given,
    target: withNatsPassword(given.target, process.env[NATS_PASSWORD_ENV]),
  };
  const counter = new AckCounter(config.producers, () => tell({ type: 'ready' }));
  let link: ConsumeLink | null = null;
  let exit = false;
  process.on('message', (m: ToReliableConsumer) => {
    if (m.type === 'progress')
      tell({ type: 'progress', acked: counter.ackCount, measured: counter.measured });
    else if (m.type === 'report') tell({ type: 'report', report: counter.report() });
    else if (m.type === 'window') counter.window = { startNs: m.startNs, endNs: m.endNs };
    else exit = true;
  });
  process.on('disconnect', () => process.exit(0));
  link = await openConsumer(config.target, config.prefetch, counter);
  tell({ type: 'connected' });
  // The orchestrator says exit (bounded: it never runs a cell for ten minutes).
  for (let i = 0; i < 6000 && !exit; i++) await sleep(100);
  await link.close().catch(() => undefined);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('bench reliable consumer:', err);
  process.exit(1);
});
