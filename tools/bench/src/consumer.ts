// Consumer process: a SUB (everything) or a PULL on one of the broker's outputs. Marks each
// producer seen from its probes, then counts measured messages: distinct per producer,
// duplicates, bytes and send-to-receive latency.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pull, Subscriber } from 'zeromq';
import { Histogram } from './histogram';
import { childConfig, tellParent } from './messages';
import type { ConsumerConfig, ToConsumer } from './messages';
import { PROBE_SEQ, headerOffset, nowNs } from './payload';
import { receiveAll } from './receive';
import { SequenceTracker } from './sequence';

async function main(): Promise<void> {
  const config = childConfig<ConsumerConfig>();
  const socket =
    config.kind === 'sub'
      ? new Subscriber({ linger: 0, receiveHighWaterMark: config.receiveHwm })
      : new Pull({ linger: 0, receiveHighWaterMark: config.receiveHwm });
  if (socket instanceof Subscriber) socket.subscribe();

  const tracker = new SequenceTracker();
  const latency = new Histogram();
  const seen = new Set<number>();
  let received = 0;
  let bytes = 0;
  let firstNs = 0;
  let lastNs = 0;
  let foreign = 0;
  let ready = false;
  let probes = 0;

  process.on('message', (m: ToConsumer) => {
    if (m.type === 'progress') tellParent({ type: 'progress', received, probes, lastNs });
    else if (m.type === 'report') {
      const { duplicates, reordered } = tracker.counts();
      tellParent({
        type: 'report',
        report: {
          distinct: tracker.distinctByProducer(),
          duplicates,
          reordered,
          bytes,
          firstNs,
          lastNs,
          latency: latency.toSparse(),
          foreign,
        },
      });
    } else {
      socket.close();
      setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));

  if (config.bind) await socket.bind(config.endpoint);
  else socket.connect(config.endpoint);
  tellParent({ type: 'connected', endpoint: socket.lastEndpoint ?? config.endpoint });

  await receiveAll(socket, (frames) => {
    const frame = frames[0];
    if (!frame) return;
    const at = headerOffset(frame);
    if (at < 0) {
      foreign++;
      return;
    }
    const producer = frame.readUInt32LE(at + 1);
    const seq = frame.readUInt32LE(at + 5);
    if (seq === PROBE_SEQ) {
      probes++;
      if (!ready) {
        seen.add(producer);
        if (seen.size >= config.producers) {
          ready = true;
          tellParent({ type: 'ready' });
        }
      }
      return;
    }
    if (!tracker.record(producer, seq)) return;
    const now = nowNs();
    latency.record(now - frame.readDoubleLE(at + 9));
    received++;
    bytes += frame.length;
    if (firstNs === 0) firstNs = now;
    lastNs = now;
  });
  await sleep(10_000);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('bench consumer:', err);
  process.exit(1);
});
