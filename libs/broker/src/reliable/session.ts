import type { Delivery } from '@zmq-mq/queue-store';

/** ERROR replies a session may get in a burst, and how many more per second after it. */
export const ERROR_BURST = 20;
export const ERRORS_PER_SECOND = 10;

/**
 * A delivery a session holds: its tag, the store's lease, and when the lease runs out. It is
 * also the DELIVER entry that hands it out (tag, attempt, frames): one object per delivery.
 */
export interface Lease {
  readonly tag: number;
  readonly delivery: Delivery;
  readonly attempt: number;
  readonly frames: readonly Buffer[];
  deadline: number;
}

/**
 * A session's subscription to one queue: at most `credit` deliveries held at once. `leases`
 * is in deadline order (PROGRESS moves a lease to the end), so expiry stops at the first
 * lease still running. A cancelled consumer takes no new deliveries and keeps those it holds.
 */
export class Consumer {
  readonly leases = new Map<number, Lease>();
  cancelled = false;

  constructor(
    readonly session: Session,
    readonly queue: string,
    public credit: number,
    public ackWaitMs: number,
  ) {}

  /** Deliveries it may take now. */
  get spare(): number {
    return this.cancelled || this.session.ended ? 0 : this.credit - this.leases.size;
  }
}

/**
 * A client of the reliable port: named (HELLO: resumable, heartbeats both ways) or anonymous
 * (keyed by its routing identity, no heartbeats sent to it). Either ends after HEARTBEAT_LIVENESS
 * intervals of silence.
 */
export class Session {
  readonly consumers = new Map<string, Consumer>();
  lastHeard: number;
  lastSent: number;
  ended = false;
  private errorTokens = ERROR_BURST;
  private errorsCountedAt: number;

  constructor(
    readonly id: string,
    /** The ROUTER routing identity of its current connection. */
    public peer: Buffer,
    /** `peer` as a map key. */
    public key: string,
    readonly named: boolean,
    public heartbeatMs: number,
    readonly name: string | undefined,
    now: number,
  ) {
    this.lastHeard = now;
    this.lastSent = now;
    this.errorsCountedAt = now;
  }

  /** Finds and removes the lease of `tag`, with its consumer. */
  take(tag: number): { consumer: Consumer; lease: Lease } | undefined {
    for (const consumer of this.consumers.values()) {
      const lease = consumer.leases.get(tag);
      if (lease !== undefined) {
        consumer.leases.delete(tag);
        return { consumer, lease };
      }
    }
    return undefined;
  }

  /** Finds the lease of `tag` without removing it. */
  find(tag: number): { consumer: Consumer; lease: Lease } | undefined {
    for (const consumer of this.consumers.values()) {
      const lease = consumer.leases.get(tag);
      if (lease !== undefined) return { consumer, lease };
    }
    return undefined;
  }

  /** Deliveries held in all its consumers. */
  get held(): number {
    let n = 0;
    for (const c of this.consumers.values()) n += c.leases.size;
    return n;
  }

  /** Whether an ERROR reply may go out now (a token bucket: ERROR_BURST, then ERRORS_PER_SECOND). */
  allowError(now: number): boolean {
    const refill = ((now - this.errorsCountedAt) * ERRORS_PER_SECOND) / 1000;
    if (refill >= 1) {
      this.errorTokens = Math.min(ERROR_BURST, this.errorTokens + Math.floor(refill));
      this.errorsCountedAt = now;
    }
    if (this.errorTokens <= 0) return false;
    this.errorTokens--;
    return true;
  }
}
