// The conformance suite against NATS JetStream: one nats-server for the file, each test's
// store in a namespace of its own.
import { JetStreamStore } from '../src';
import { storeConformance } from '../testing/conformance';
import { NatsServers } from '../src/testing';

let servers: NatsServers | undefined;
beforeAll(async () => {
  servers = await NatsServers.start(1);
});
afterAll(async () => {
  await servers?.stop();
});

let tests = 0;
storeConformance(
  'JetStreamStore',
  (opts) => new JetStreamStore({ servers: servers?.urls ?? [], namespace: `c${++tests}`, ...opts }),
  {
    reopen: async (store) => {
      const options = (store as JetStreamStore).options;
      await store.close();
      const next = new JetStreamStore(options);
      await next.open();
      return next;
    },
    storedBytes: (store, queue, message) => (store as JetStreamStore).storedBytes(queue, message),
    keepsDelaysAcrossRestart: true,
  },
);
