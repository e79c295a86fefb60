// Consumer process: a SUB (everything) or a PULL on one of the broker's outputs. Marks each
// producer seen from its probes, then counts measured messages: distinct per producer,
// duplicates, bytes and send-to-receive latency. The socket is the lean ZMTP meter (zmtp.ts)
// or, with `--meter zeromq`, a zeromq.js socket.
import { Pull, Subscriber } from 'zeromq';
import { Histogram } from './histogram';
import { childConfig, tellParent } from './messages';
import type { ConsumerConfig, ToConsumer } from './messages';
import { PROBE_SEQ, headerOffset, nowNs } from './payload';
import { receiveAll } from './receive';
import { SequenceTracker } from './sequence';
import { ZmtpConsumer } from './zmtp';

/** The consumer's socket, whichever implementation reads it. */
interface Meter {
  start(onMessage: (frames: Buffer[]) => void): Promise<string>;
  close(): void;
}

function zeromqMeter(config: ConsumerConfig): Meter {
  const socket =
    config.kind === 'sub'
      ? new Subscriber({ linger: 0, receiveHighWaterMark: config.receiveHwm })
      : new Pull({ linger: 0, receiveHighWaterMark: config.receiveHwm });
  if (socket instanceof Subscriber) socket.subscribe();
  return {
    async start(onMessage) {
      if (config.bind) await socket.bind(config.endpoint);
      else socket.connect(config.endpoint);
      receiveAll(socket, onMessage).catch(fail);
      return socket.lastEndpoint ?? config.endpoint;
    },
    close: () => socket.close(),
  };
}

function zmtpMeter(config: ConsumerConfig): Meter {
  let consumer: ZmtpConsumer | null = null;
  return {
    async start(onMessage) {
      consumer = new ZmtpConsumer(config.kind === 'sub' ? 'SUB' : 'PULL', onMessage, fail);
      if (config.bind) return consumer.bind(config.endpoint);
      consumer.connect(config.endpoint);
      return config.endpoint;
    },
    close: () => consumer?.close(),
  };
}

function fail(err: unknown): void {
  console.error('bench consumer:', err);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = childConfig<ConsumerConfig>();
  const meter = config.meter === 'zeromq' ? zeromqMeter(config) : zmtpMeter(config);

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
      meter.close();
      setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));

  const onMessage = (frames: Buffer[]): void => {
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
  };
  const endpoint = await meter.start(onMessage);
  tellParent({ type: 'connected', endpoint });
}

main().catch(fail);
