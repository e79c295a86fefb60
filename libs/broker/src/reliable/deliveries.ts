import {
  encodeDeliver,
  type NakEntry,
  type QueueConsumerView,
  type TermEntry,
} from '@zmq-mq/protocol';
import type { Delivery, QueueStore } from '@zmq-mq/queue-store';
import type { Logger } from '../logger';
import type { Sender } from './sender';
import { Consumer, type Lease, type Session } from './session';
import type { ReliableStats } from './stats';

/**
 * Consumers, their leases and the deliveries: when a queue has ready messages (the store says
 * so) or a consumer has credit again (an ACK, NAK or TERM, a lease run out, a new CONSUME), the
 * queue is dispatched once at the end of the event-loop turn: each of its consumers with spare
 * credit, in turn, leases up to that many messages and gets them in ONE DELIVER. Tags are unique
 * within the broker run (they start at the start time in microseconds).
 */
export class Deliveries {
  private readonly byQueue = new Map<string, Consumer[]>();
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly rotation = new Map<string, number>();
  private scheduled = false;
  private stopped = false;
  private nextTag = Date.now() * 1000;

  constructor(
    private readonly store: QueueStore,
    private readonly sender: Sender,
    private readonly stats: ReliableStats,
    private readonly log: Logger,
  ) {}

  /** Subscribes `session` to `queue`, or changes its credit and ack wait. */
  consume(session: Session, queue: string, credit: number, ackWaitMs: number): void {
    let consumer = session.consumers.get(queue);
    if (consumer === undefined) {
      consumer = new Consumer(session, queue, credit, ackWaitMs);
      session.consumers.set(queue, consumer);
    } else {
      consumer.credit = credit;
      consumer.ackWaitMs = ackWaitMs;
    }
    if (consumer.cancelled || !this.listOf(queue).includes(consumer)) {
      consumer.cancelled = false;
      this.listOf(queue).push(consumer);
    }
    this.schedule(queue);
  }

  /** No new deliveries of `queue` to `session`; those it holds stay held. */
  cancel(session: Session, queue: string): void {
    const consumer = session.consumers.get(queue);
    if (consumer === undefined) return;
    consumer.cancelled = true;
    this.unlist(consumer);
    if (consumer.leases.size === 0) session.consumers.delete(queue);
  }

  /** A session came back on a new connection: its queues are dispatched again. */
  resumed(session: Session): void {
    for (const c of session.consumers.values()) if (!c.cancelled) this.schedule(c.queue);
  }

  /** The session ended: every lease it held goes back to its queue at once (the attempt counts). */
  endSession(session: Session): void {
    for (const consumer of session.consumers.values()) {
      this.unlist(consumer);
      for (const lease of consumer.leases.values()) {
        this.stats.leasesReturned++;
        this.store.nak(lease.delivery, 0).catch((err: unknown) => this.storeFailed('nak', err));
      }
      consumer.leases.clear();
    }
    session.consumers.clear();
  }

  /** Leases whose ack wait ran out leave the session (the store delivers them again). */
  expire(session: Session, now: number): void {
    for (const consumer of session.consumers.values()) {
      let expired = 0;
      for (const [tag, lease] of consumer.leases) {
        if (lease.deadline > now) break;
        consumer.leases.delete(tag);
        expired++;
      }
      if (expired === 0) continue;
      this.stats.leasesExpired += expired;
      if (consumer.cancelled && consumer.leases.size === 0)
        session.consumers.delete(consumer.queue);
      else this.schedule(consumer.queue);
    }
  }

  /** ACK: removes the messages; returns the tags not held. */
  ack(session: Session, tags: readonly number[]): number[] | undefined {
    const done: Delivery[] = [];
    let unknown: number[] | undefined;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as number;
      const held = this.release(session, tag);
      if (held === undefined) (unknown ??= []).push(tag);
      else done.push(held.delivery);
    }
    this.stats.acked += done.length;
    if (done.length > 0) {
      this.store.ack(done).catch((err: unknown) => this.storeFailed('ack', err));
    }
    return unknown;
  }

  /** NAK: back to the queue, after `delayMs` when given. */
  nak(session: Session, entries: readonly NakEntry[]): number[] | undefined {
    return this.settleEach(session, entries, (delivery, e) => {
      this.stats.naked++;
      return this.store.nak(delivery, e.delayMs ?? 0);
    });
  }

  /** TERM: to the queue's dead letters now. */
  term(session: Session, entries: readonly TermEntry[]): number[] | undefined {
    return this.settleEach(session, entries, (delivery, e) => {
      this.stats.termed++;
      return this.store.term(delivery, e.reason ?? '');
    });
  }

  /** Settles each held entry with `settle`; returns the tags not held. */
  private settleEach<E extends { tag: number }>(
    session: Session,
    entries: readonly E[],
    settle: (delivery: Delivery, entry: E) => Promise<unknown>,
  ): number[] | undefined {
    let unknown: number[] | undefined;
    for (const e of entries) {
      const held = this.release(session, e.tag);
      if (held === undefined) (unknown ??= []).push(e.tag);
      else settle(held.delivery, e).catch((err: unknown) => this.storeFailed('settle', err));
    }
    return unknown;
  }

  /** PROGRESS: the leases start again. */
  progress(session: Session, tags: readonly number[]): number[] | undefined {
    let unknown: number[] | undefined;
    const now = Date.now();
    for (const tag of tags) {
      const held = session.find(tag);
      if (held === undefined) {
        (unknown ??= []).push(tag);
        continue;
      }
      const { consumer, lease } = held;
      lease.deadline = now + consumer.ackWaitMs;
      consumer.leases.delete(tag); // to the end: the map stays in deadline order
      consumer.leases.set(tag, lease);
      this.stats.progressed++;
      this.store
        .progress(lease.delivery, consumer.ackWaitMs)
        .catch((err: unknown) => this.storeFailed('progress', err));
    }
    return unknown;
  }

  /** Every consumer, for monitoring (`/stats`, `GET /queues`, `/metrics`). */
  consumers(queue: string): QueueConsumerView[] {
    return (this.byQueue.get(queue) ?? []).map((c) => ({
      session: c.session.id,
      ...(c.session.name === undefined ? {} : { name: c.session.name }),
      credit: c.credit,
      unacked: c.leases.size,
      ackWaitMs: c.ackWaitMs,
    }));
  }

  /** Dispatches `queue` at the end of this event-loop turn. */
  schedule(queue: string): void {
    if (this.stopped) return;
    this.pending.add(queue);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const queues = [...this.pending];
      this.pending.clear();
      for (const q of queues) void this.dispatch(q);
    });
  }

  /** No further deliveries (the broker is stopping). */
  stop(): void {
    this.stopped = true;
  }

  private async dispatch(queue: string): Promise<void> {
    if (this.running.has(queue)) {
      this.again.add(queue);
      return;
    }
    const consumers = this.byQueue.get(queue);
    if (consumers === undefined || consumers.length === 0) return;
    this.running.add(queue);
    try {
      const start = (this.rotation.get(queue) ?? 0) % consumers.length;
      this.rotation.set(queue, start + 1);
      for (let k = 0; k < consumers.length && !this.stopped; k++) {
        const consumer = consumers[(start + k) % consumers.length] as Consumer;
        const spare = consumer.spare;
        if (spare <= 0) continue;
        const leased = await this.store.lease(queue, spare, consumer.ackWaitMs);
        if (leased.length > 0) this.deliver(consumer, leased);
        if (leased.length < spare) break; // the queue has nothing more now
      }
    } catch (err) {
      this.storeFailed('lease', err);
    } finally {
      this.running.delete(queue);
      if (this.again.delete(queue)) this.schedule(queue);
    }
  }

  private deliver(consumer: Consumer, leased: Delivery[]): void {
    if (consumer.spare <= 0) {
      // Cancelled or ended while the lease was made: the messages go straight back.
      for (const d of leased) this.giveBack(d);
      return;
    }
    const deadline = Date.now() + consumer.ackWaitMs;
    const items: Lease[] = new Array(leased.length);
    for (let i = 0; i < leased.length; i++) {
      const delivery = leased[i] as Delivery;
      const tag = this.nextTag++;
      const lease: Lease = {
        tag,
        delivery,
        attempt: delivery.attempt,
        frames: delivery.message.frames,
        deadline,
      };
      consumer.leases.set(tag, lease);
      items[i] = lease;
    }
    this.stats.delivered += leased.length;
    this.sender.send(consumer.session, encodeDeliver(consumer.queue, items), () => {
      // Never reached the client: the leases go back now instead of after the ack wait.
      for (const lease of items) {
        if (consumer.leases.get(lease.tag) !== lease) continue;
        consumer.leases.delete(lease.tag);
        this.stats.deliveriesReturned++;
        this.giveBack(lease.delivery);
      }
      this.schedule(consumer.queue);
    });
  }

  private giveBack(delivery: Delivery): void {
    this.store.nak(delivery, 0).catch((err: unknown) => this.storeFailed('nak', err));
  }

  /** Takes a held lease out of its session; its queue gets the credit back. */
  private release(session: Session, tag: number): Lease | undefined {
    const held = session.take(tag);
    if (held === undefined) return undefined;
    const { consumer, lease } = held;
    if (consumer.cancelled) {
      if (consumer.leases.size === 0) session.consumers.delete(consumer.queue);
    } else {
      this.schedule(consumer.queue);
    }
    return lease;
  }

  private listOf(queue: string): Consumer[] {
    let list = this.byQueue.get(queue);
    if (list === undefined) {
      list = [];
      this.byQueue.set(queue, list);
    }
    return list;
  }

  private unlist(consumer: Consumer): void {
    const list = this.byQueue.get(consumer.queue);
    const at = list?.indexOf(consumer) ?? -1;
    if (list !== undefined && at >= 0) list.splice(at, 1);
  }

  private storeFailed(operation: string, err: unknown): void {
    this.stats.storeErrors++;
    this.log.error({ err, operation }, 'durable queues: store operation failed');
  }
}
