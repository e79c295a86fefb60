import { NotReadyError } from '@zmq-mq/client';
import { noLinkNotice } from '../src/consume';

describe('the consumer without a link', () => {
  const a = 'tcp://127.0.0.1:5599';
  const b = 'tcp://127.0.0.1:5555';

  it('says so once its ready timeout has passed, and that it keeps waiting', () => {
    expect(noLinkNotice(new NotReadyError([a], 10000))).toBe(
      `no link within 10000 ms to ${a}; is the broker running? (still waiting)`,
    );
  });

  it('says nothing more when every missing endpoint was reported as the wrong port', () => {
    expect(noLinkNotice(new NotReadyError([b], 10000, [b]))).toBeUndefined();
    expect(noLinkNotice(new NotReadyError([a, b], 10000, [b]))).toBe(
      `no link within 10000 ms to ${a}, ${b}; ${b} refused this socket type: likely the wrong port (still waiting)`,
    );
  });
});
