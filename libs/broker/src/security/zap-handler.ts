import { z85Encode } from '@zmq-mq/protocol';
import { Router, type Context } from 'zeromq';

/** Where libzmq sends ZAP requests, in the context of the socket being connected to (RFC 27). */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** One ZAP request, as the handler's `decide` sees it. */
export interface ZapRequest {
  /** The ZAP domain of the socket the client connects to (`zapDomain`). */
  domain: string;
  /** The client's IP address (no port: libzmq gives none). */
  address: string;
  /** `NULL`, `PLAIN` or `CURVE`. */
  mechanism: string;
  /** CURVE: the client's public key in Z85 (authenticated by the handshake); else undefined. */
  key: string | undefined;
}

/** The answer: allowed with a user id (libzmq's `User-Id` of the connection), or refused. */
export type ZapDecision = { allow: true; userId: string } | { allow: false; reason: string };

const EMPTY = Buffer.alloc(0);

/**
 * A ZAP handler (ZeroMQ RFC 27): a ROUTER bound to `inproc://zeromq.zap.01` in `context`, which
 * libzmq asks about each handshake of a socket of that context that runs CURVE, or that has a
 * ZAP domain. `decide` answers each request synchronously, in the order they come. It must be
 * bound before the sockets it guards take connections, and closed after them.
 */
export class ZapHandler {
  private readonly router: Router;
  private loop: Promise<void> | undefined;

  constructor(
    context: Context,
    private readonly decide: (request: ZapRequest) => ZapDecision,
    /** The loop ended with an error (the broker then refuses every handshake it guards). */
    private readonly failed: (err: unknown) => void,
  ) {
    this.router = new Router({ context, linger: 0 });
  }

  /** Binds the endpoint and starts answering. */
  async start(): Promise<void> {
    await this.router.bind(ZAP_ENDPOINT);
    this.loop = this.answer().catch((err: unknown) => {
      if (!this.router.closed) this.failed(err);
    });
  }

  private async answer(): Promise<void> {
    for await (const frames of this.router) {
      // routing id, empty delimiter, then the request: version, request id, domain, address,
      // identity, mechanism, credentials.
      const [id, , version, requestId, domain, address, , mechanism, credential] = frames;
      if (id === undefined || requestId === undefined || version?.toString() !== '1.0') continue;
      const mech = mechanism?.toString() ?? '';
      const decision = this.decide({
        domain: domain?.toString() ?? '',
        address: address?.toString() ?? '',
        mechanism: mech,
        key:
          mech === 'CURVE' && credential !== undefined && credential.length === 32
            ? z85Encode(credential)
            : undefined,
      });
      await this.router.send([
        id,
        EMPTY,
        '1.0',
        requestId,
        decision.allow ? '200' : '400',
        decision.allow ? 'OK' : decision.reason,
        decision.allow ? decision.userId : '',
        EMPTY,
      ]);
    }
  }

  /** Stops answering (after the guarded sockets closed); resolves when the loop has ended. */
  async close(): Promise<void> {
    if (!this.router.closed) this.router.close();
    await this.loop;
  }
}
