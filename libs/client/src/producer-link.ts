/**
 * One Producer link: an XPUB connected to one broker ingress, and when it may be used. A link
 * is usable once its ZMTP handshake is done and the broker's subscription has arrived on it
 * (then `settleMs`), and until its connection drops.
 */
import type { EventEmitter } from 'node:events';
import { XPublisher } from 'zeromq';
import type { HandshakeError } from './errors';
import type { ConnectionEvents } from './events';
import { forwardConnectionEvents } from './events';
import type { LinkSettings } from './producer-options';

/** What a link tells its producer. */
export interface LinkListener {
  /** The link became usable. */
  up(link: Link): void;
  /** The link's connection dropped; `wasUp` when it had been usable. */
  down(link: Link, wasUp: boolean): void;
}

export class Link {
  readonly socket: XPublisher;
  state: 'down' | 'settling' | 'up' = 'down';
  /** Messages handed to ZeroMQ on this link. */
  sent = 0;
  /** The peer refused our socket type (likely the wrong port); ZeroMQ does not retry it. */
  refused = false;
  /** The last handshake failure, until the next handshake. */
  failure: HandshakeError | undefined;
  /** The ZMTP handshake of the current connection is done. */
  private handshake = false;
  /** The peer's subscription arrived on the current connection. */
  private subscribed = false;
  /** Until when (Date.now() ms) the link is skipped after EAGAIN; 0: not blocked. */
  private blockedUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Creates the socket (not yet connected) and starts reading its events and the broker's
   * subscriptions. Connection events are re-emitted on `target`.
   */
  constructor(
    readonly endpoint: string,
    private readonly settings: LinkSettings,
    target: Pick<EventEmitter<ConnectionEvents>, 'emit'>,
    private readonly listener: LinkListener,
  ) {
    // An XPUB, not a PUB: a PUB drops silently what it sends before the broker's subscription
    // has reached it (the slow joiner); an XPUB hands us that subscription, so a link is used
    // only once it will deliver. sendTimeout 0: every send is handed to libzmq synchronously and
    // never stays pending, so the one-pending-send rule holds; noDrop: a full link answers
    // EAGAIN instead of dropping.
    this.socket = new XPublisher({
      ...settings.curve,
      linger: settings.linger,
      sendHighWaterMark: settings.sendHighWaterMark,
      sendTimeout: 0,
      noDrop: true,
    });
    this.socket.verbosity = 'allSubs'; // a reconnection's subscription too, although not new
    forwardConnectionEvents(this.socket, target, [endpoint], 'producer', (type, _at, failure) => {
      if (failure !== undefined) this.failure = failure;
      if (type === 'handshake') {
        this.failure = undefined;
        this.handshake = true;
        this.maybeSettle();
      } else if (type === 'disconnect') this.linkDown();
      else if (type === 'refused') this.refused = true;
    });
    void this.readSubscriptions();
  }

  /** True when the link is up and not resting after a full high-water mark. */
  available(now: number): boolean {
    if (this.state !== 'up') return false;
    if (this.blockedUntil !== 0) {
      if (this.blockedUntil > now) return false;
      this.blockedUntil = 0;
    }
    return true;
  }

  /** Skips the link for `ms` (it answered EAGAIN: its high-water mark is reached). */
  block(ms: number): void {
    this.blockedUntil = Date.now() + ms;
  }

  /** Closes the socket with the configured linger; the link stays down. */
  close(): void {
    clearTimeout(this.timer);
    this.state = 'down';
    this.socket.close();
  }

  // Reads what the XPUB hands up: the peer's subscriptions (first byte 1) and unsubscriptions
  // (first byte 0). The broker's ingress subscribes to everything once per connection.
  private async readSubscriptions(): Promise<void> {
    while (!this.socket.closed) {
      let frame: Buffer | undefined;
      try {
        [frame] = await this.socket.receive();
      } catch {
        return; // the socket was closed
      }
      if (frame !== undefined && frame[0] === 1) {
        this.subscribed = true;
        this.maybeSettle();
      }
    }
  }

  // Used once both its handshake event and the peer's subscription arrived (in either order:
  // the monitor and the socket are read separately).
  private maybeSettle(): void {
    if (!this.handshake || !this.subscribed || this.state !== 'down') return;
    if (this.socket.closed) return; // a closing producer still brings links up to drain its queue
    clearTimeout(this.timer);
    this.state = 'settling';
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.state = 'up';
      this.listener.up(this);
    }, this.settings.settleMs);
  }

  private linkDown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.handshake = false;
    this.subscribed = false;
    this.listener.down(this, wasUp);
  }
}
