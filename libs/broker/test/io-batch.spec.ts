// The forwarding sockets' write batches, read back from libzmq.
import { Publisher, Push, XSubscriber, type Socket } from 'zeromq';
import { batchBoundSocket, OUT_BATCH_BYTES, setOutBatch } from '../src/io-batch';

const ZMQ_IN_BATCH_SIZE = 101;
const ZMQ_OUT_BATCH_SIZE = 102;
const LIBZMQ_DEFAULT = 8192;

function option(socket: Socket, id: number): number {
  return (socket as unknown as { getInt32Option(id: number): number }).getInt32Option(id);
}

describe('write batches', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it('sets the write batch, and leaves reads at libzmq default', () => {
    const push = new Push({ linger: 0 });
    sockets.push(push);
    setOutBatch(push);
    expect(option(push, ZMQ_OUT_BATCH_SIZE)).toBe(OUT_BATCH_BYTES);
    expect(option(push, ZMQ_IN_BATCH_SIZE)).toBe(LIBZMQ_DEFAULT);
  });

  it('batches the publish and push sockets, not the ingress', () => {
    const ingress = new XSubscriber({ linger: 0 });
    const publish = new Publisher({ linger: 0 });
    const push = new Push({ linger: 0 });
    sockets.push(ingress, publish, push);
    const endpoint = 'tcp://127.0.0.1:*';
    batchBoundSocket({ role: 'ingress', socket: ingress, endpoint });
    batchBoundSocket({ role: 'publish', socket: publish, endpoint });
    batchBoundSocket({ role: 'push', socket: push, endpoint });
    expect(option(ingress, ZMQ_OUT_BATCH_SIZE)).toBe(LIBZMQ_DEFAULT);
    expect(option(ingress, ZMQ_IN_BATCH_SIZE)).toBe(LIBZMQ_DEFAULT);
    expect(option(publish, ZMQ_OUT_BATCH_SIZE)).toBe(OUT_BATCH_BYTES);
    expect(option(push, ZMQ_OUT_BATCH_SIZE)).toBe(OUT_BATCH_BYTES);
  });
});
