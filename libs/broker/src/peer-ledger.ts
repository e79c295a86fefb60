/** Why a connection ended before its handshake completed. Each kind is a counter, per port. */
export type HandshakeFailure =
  /** A ZMTP 3 peer broke the protocol: a wrong socket type, a bad command (`handshake:error:protocol`). */
  | 'protocol'
  /** Refused by a ZAP handler (`handshake:error:auth`). */
  | 'auth'
  /** Closed, or timed out, before the handshake completed (`handshake:error:other`). */
  | 'other'
  /**
   * Closed by libzmq before its handshake with no event at all: a peer that does not speak ZMTP
   * 3 (ZMTP 1.0 or 2.0, HTTP, any other bytes: refused because the port has a ZAP domain), a
   * ZeroMQ socket of a type the port does not pair with, or a handshake command over the
   * port's frame limit. Counted from the disconnect alone.
   */
  | 'refused';

export const HANDSHAKE_FAILURES: readonly HandshakeFailure[] = [
  'protocol',
  'auth',
  'other',
  'refused',
];

/** What the socket events of one bound socket add up to, since the broker started. */
export interface ConnectionCounts {
  /** TCP (or ipc) connections accepted. */
  accepted: number;
  /** ZeroMQ handshakes completed: peers. */
  handshakes: number;
  /** Connections that ended before a completed handshake, by why. */
  failed: Record<HandshakeFailure, number>;
  /**
   * Peers (handshake completed) whose connection ended: the peer left, or libzmq disconnected it
   * for a frame over the port's limit. libzmq's events do not tell the two apart.
   */
  disconnected: number;
  /** Connections libzmq could not accept (`accept:error`: out of file descriptors, say). */
  acceptFailed: number;
}

export function emptyConnectionCounts(): ConnectionCounts {
  return {
    accepted: 0,
    handshakes: 0,
    failed: { protocol: 0, auth: 0, other: 0, refused: 0 },
    disconnected: 0,
    acceptFailed: 0,
  };
}

/**
 * Where a ledger keeps its count of peers: the broker's PeerRegistry (the `peers` gauges, and
 * who is connected for the dashboard), or a plain counter in a test.
 */
export interface PeerGauge {
  /** Peers connected now. */
  readonly connected: number;
  /** A peer completed its handshake; returns the peers connected now. */
  joined(): number;
  /** A peer left; returns the peers connected now. */
  left(): number;
}

/** What one disconnect event was, as far as the events before it tell. */
export type DisconnectOutcome =
  /** The end of a connection whose handshake failed with an event (already counted). */
  | 'failed'
  /** A connection closed before its handshake, with no event: counted `refused`. */
  | 'refused'
  /** A peer with a completed handshake. */
  | 'left';

/**
 * Peers of one bound socket counted by completed handshake, from its socket events alone.
 *
 * libzmq's events (as zeromq.js gives them) carry no connection id, so a bare `disconnect` (one
 * with no handshake-failure event before it) is either a connection refused before its
 * handshake or a peer leaving. Each connection's own events come in order (accept, then a
 * handshake or a failure, then its disconnect), so the ledger takes a bare disconnect for the
 * end of a failed handshake while one has not been closed yet, then for a refusal while a
 * connection is waiting for its handshake, and for a peer leaving otherwise. When the guess was
 * wrong, a later event finds no connection in the state the guess used up, and the ledger moves
 * the earlier disconnect over to the peer that left. So totals are exact once no connection is
 * mid-handshake (each lasts at most the handshake timeout), and until then the peer gauge is at
 * most one too high for each peer that left while a stranger was mid-handshake or closing.
 */
export class PeerLedger {
  /** Accepted, with no handshake or failure yet (as far as the events tell). */
  private waiting = 0;
  /** Handshake failures whose disconnect event has not come yet. */
  private failuresToClose = 0;

  /** `gauge` counts the peers this ledger finds: connections with a completed handshake. */
  constructor(
    private readonly gauge: PeerGauge,
    readonly counts: ConnectionCounts = emptyConnectionCounts(),
  ) {}

  /** Peers connected now (handshake completed). */
  get connected(): number {
    return this.gauge.connected;
  }

  /** Connections libzmq has open as far as the events tell: connected, waiting, or failing. */
  get open(): number {
    return this.gauge.connected + this.waiting + this.failuresToClose;
  }

  accepted(): void {
    this.counts.accepted++;
    this.waiting++;
  }

  acceptFailed(): void {
    this.counts.acceptFailed++;
  }

  /** A handshake completed; returns the peers connected now. */
  handshake(): number {
    this.leaveWaiting();
    this.counts.handshakes++;
    return this.gauge.joined();
  }

  /** A handshake failed with an event; its disconnect comes later. */
  failed(kind: Exclude<HandshakeFailure, 'refused'>): void {
    this.leaveWaiting();
    this.counts.failed[kind]++;
    this.failuresToClose++;
  }

  disconnected(): DisconnectOutcome {
    if (this.failuresToClose > 0) {
      this.failuresToClose--;
      return 'failed';
    }
    if (this.waiting > 0) {
      this.waiting--;
      this.counts.failed.refused++;
      return 'refused';
    }
    this.peerLeft();
    return 'left';
  }

  private leaveWaiting(): void {
    if (this.waiting > 0) {
      this.waiting--;
    } else if (this.counts.failed.refused > 0) {
      // The connection this event is about was still waiting when a bare disconnect was taken
      // for its refusal: that disconnect was a peer leaving.
      this.counts.failed.refused--;
      this.peerLeft();
    }
  }

  private peerLeft(): void {
    this.counts.disconnected++;
    if (this.gauge.connected > 0) this.gauge.left();
  }
}
