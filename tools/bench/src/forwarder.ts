// The baseline: the plainest correct zeromq.js forwarder with the original design's semantics.
// Every message goes to PUB unchanged and its payload (topic stripped) to PUSH without
// waiting (sendTimeout 0 = the original's NOBLOCK; dropped when no worker can take it).
// Written once and left plain on purpose: do not optimise it.
// usage: forwarder.js <ingress> <publish> <push>
// (port * allowed; prints `ready <ingress> <publish> <push>` with the bound endpoints)
import { Publisher, Push, Subscriber } from 'zeromq';
import { payloadOf } from '@zmq-mq/protocol';

async function main(): Promise<void> {
  const [ingress, publish, pushEndpoint] = process.argv.slice(2);
  if (!ingress || !publish || !pushEndpoint) {
    console.error('usage: forwarder.js <ingress> <publish> <push>');
    process.exit(2);
  }
  const sub = new Subscriber({ linger: 0 });
  const pub = new Publisher({ linger: 0 });
  const push = new Push({ linger: 0, sendTimeout: 0 });
  sub.subscribe();
  await Promise.all([sub.bind(ingress), pub.bind(publish), push.bind(pushEndpoint)]);
  const stop = (): void => {
    for (const s of [sub, pub, push]) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // As the Python baselines do: gone with the bench that started it, even if that was SIGKILLed.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 200).unref();
  console.log(['ready', sub.lastEndpoint, pub.lastEndpoint, push.lastEndpoint].join(' '));

  for await (const [msg, ...rest] of sub) {
    if (!msg) continue;
    await pub.send([msg, ...rest]);
    try {
      await push.send([payloadOf(msg), ...rest]);
    } catch {
      // no worker can take it now: dropped, as in the original design
    }
  }
}

main().catch((err: unknown) => {
  console.error('bench forwarder:', err);
  process.exit(1);
});
