import { emptyConnectionCounts, type ConnectionCounts } from './peer-ledger';

/** Why a message did not reach a destination. Each reason is a counter. */
export type DropReason =
  /** Work queue full under `drop-newest`: the incoming message was dropped. */
  | 'queue-full-newest'
  /** Work queue full under `drop-oldest`: the oldest queued message was dropped. */
  | 'queue-full-oldest'
  /** `--push-policy drop`: no worker could take the message at once (the original design). */
  | 'no-worker'
  /** Still queued when the drain timeout ran out at shutdown. */
  | 'shutdown'
  /**
   * Larger than --max-message-bytes (all frames together) or of more than MAX_MESSAGE_FRAMES
   * frames: published (libzmq's fan-out), not pushed.
   */
  | 'too-large'
  /** Frame 0 empty: no topic and no payload; published (libzmq's fan-out), not pushed. */
  | 'empty';

export const DROP_REASONS: readonly DropReason[] = [
  'queue-full-newest',
  'queue-full-oldest',
  'no-worker',
  'shutdown',
  'too-large',
  'empty',
];

/** Defects of received messages. Each kind is a counter; the outcome is in the README. */
export type MalformedKind =
  /** Frame 0 has no bytes (published, not pushed). */
  | 'empty'
  /** Frame 0 has no space: forwarded as the original design does (whole frame as payload). */
  | 'no-separator'
  /** The topic is not valid UTF-8 or has a control character: forwarded, as bytes. */
  | 'invalid-topic'
  /** Over --max-message-bytes in all its frames, or more than MAX_MESSAGE_FRAMES (not pushed). */
  | 'too-large';

export const MALFORMED_KINDS: readonly MalformedKind[] = [
  'empty',
  'no-separator',
  'invalid-topic',
  'too-large',
];

/** Who connects to the broker, by the socket they connect to (ingress, publish, push, reliable). */
export type PeerRole = 'producers' | 'subscribers' | 'workers' | 'clients';

export const PEER_ROLES: readonly PeerRole[] = ['producers', 'subscribers', 'workers', 'clients'];

/** The broker's counters, plain numbers updated on the hot path; metrics read them on scrape. */
export class BrokerStats {
  received = 0;
  receivedBytes = 0;
  published = 0;
  publishedBytes = 0;
  pushed = 0;
  pushedBytes = 0;
  queued = 0;
  readonly dropped: Record<DropReason, number> = {
    'queue-full-newest': 0,
    'queue-full-oldest': 0,
    'no-worker': 0,
    shutdown: 0,
    'too-large': 0,
    empty: 0,
  };
  readonly malformed: Record<MalformedKind, number> = {
    empty: 0,
    'no-separator': 0,
    'invalid-topic': 0,
    'too-large': 0,
  };
  /** Connected peers: ZeroMQ handshakes completed, minus those that ended (PeerLedger). */
  readonly peers: Record<PeerRole, number> = {
    producers: 0,
    subscribers: 0,
    workers: 0,
    clients: 0,
  };
  /** Connections per socket, from its events: accepted, handshakes, failures, disconnects. */
  readonly connections: Record<PeerRole, ConnectionCounts> = {
    producers: emptyConnectionCounts(),
    subscribers: emptyConnectionCounts(),
    workers: emptyConnectionCounts(),
    clients: emptyConnectionCounts(),
  };
  /** Monitor (HTTP) connections closed at once because the monitor had its most open. */
  monitorRefused = 0;
  readonly startedAt = Date.now();

  totalDropped(): number {
    let n = 0;
    for (const reason of DROP_REASONS) n += this.dropped[reason];
    return n;
  }
}
