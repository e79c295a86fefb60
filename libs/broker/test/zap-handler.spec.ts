// The ZAP domain that refuses pre-ZMTP-3 peers composes with a ZAP handler bound in the
// broker's context (as one that checks CURVE keys would be): libzmq then asks the handler about
// every connection, NULL ones included, under the port's domain.
import { Router } from 'zeromq';
import { zapDomainOf, type Broker, type BrokerEndpoints } from '../src';
import { brokerFixture, receiveWork, waitFor, warmUp } from './helpers';

/** Where libzmq asks its ZAP handler (RFC 27), in the socket's context. */
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** What a ZAP request asked: the fields after the envelope, as text. */
interface ZapRequest {
  domain: string;
  mechanism: string;
}

/**
 * A ZAP handler (RFC 27) on `inproc://zeromq.zap.01` in the default context, the broker's with
 * one I/O thread: it records each request and answers `status` to it.
 */
class ZapHandler {
  readonly requests: ZapRequest[] = [];
  private readonly router = new Router({ linger: 0 });
  private readonly loop: Promise<void>;

  private constructor(status: (r: ZapRequest) => '200' | '400') {
    this.loop = (async () => {
      try {
        for await (const frames of this.router) {
          // routing id, empty, version, request id, domain, address, identity, mechanism, …
          const [id, empty, , requestId, domain, , , mechanism] = frames;
          const request = { domain: String(domain), mechanism: String(mechanism) };
          this.requests.push(request);
          const answer = status(request);
          await this.router.send([
            id as Buffer,
            empty as Buffer,
            '1.0',
            requestId as Buffer,
            answer,
            answer === '200' ? 'OK' : 'refused by the test',
            '',
            '',
          ]);
        }
      } catch {
        // closed
      }
    })();
  }

  static async bind(status: (r: ZapRequest) => '200' | '400'): Promise<ZapHandler> {
    const handler = new ZapHandler(status);
    try {
      await handler.router.bind(ZAP_ENDPOINT);
    } catch (err) {
      await handler.close();
      throw err;
    }
    return handler;
  }

  /**
   * Unbinds first: a closed socket gives up its inproc name only when libzmq reaps it, and the
   * next test binds the same name at once (EADDRINUSE under load otherwise).
   */
  async close(): Promise<void> {
    await this.router.unbind(ZAP_ENDPOINT).catch(() => undefined);
    this.router.close();
    await this.loop;
  }
}

describe('the ZAP domain beside a ZAP handler in the broker context', () => {
  const { sockets, broker } = brokerFixture();
  let handler: ZapHandler | undefined;
  afterEach(async () => {
    await handler?.close();
    handler = undefined;
  });

  async function flow(b: Broker): Promise<void> {
    const ep = b.endpoints as BrokerEndpoints;
    const sub = sockets.subscriber(ep.publish, 'jobs ');
    const worker = sockets.worker(ep.push);
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [sub]);
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'the worker');
    await pub.send('jobs j1');
    expect(String((await sub.receive())[0])).toBe('jobs j1');
    expect(String((await receiveWork(worker))[0])).toBe('j1');
  }

  it('is asked about NULL peers on every port under its domain; a handler that lets NULL through leaves them working', async () => {
    handler = await ZapHandler.bind((r) => (r.mechanism === 'NULL' ? '200' : '400'));
    const b = await broker();
    await flow(b);
    const domains = new Set(handler.requests.map((r) => r.domain));
    expect([...domains].sort()).toEqual(
      (['ingress', 'publish', 'push'] as const).map(zapDomainOf).sort(),
    );
    expect(handler.requests.every((r) => r.mechanism === 'NULL')).toBe(true);
    expect(b.stats().connections.workers.failed.auth).toBe(0);
  });

  it('counts a peer the handler refuses as an auth failure, never as a peer', async () => {
    handler = await ZapHandler.bind((r) => (r.domain === zapDomainOf('push') ? '400' : '200'));
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    sockets.worker(ep.push);
    await waitFor(() => b.stats().connections.workers.failed.auth >= 1, 5000, 'the refusal');
    expect(b.stats().peers.workers).toBe(0);
  });
});
