/**
 * The leases of the JetStream store: each JetStream delivery it hands out, with the lease's
 * own deadline (when it runs out the store naks it, or dead-letters it on its last attempt),
 * and the settling of deliveries: ack, nak (with JetStream's own delay), term, progress. The
 * store keeps JetStream's ack wait of every lease it holds from running out (keepAlive):
 * JetStream's only counts when the store's process dies.
 */
import { checkDelay, positiveInt, termReason } from '../checks';
import { StoreCorruptError, StoreRequestError } from '../errors';
import { Alarm, MinHeap } from '../structures';
import type { Delivery, StoredMessage } from '../types';
import { decodeMessage } from './codec';
import { writeDeadLetter } from './dead-letters';
import type { JsLink, Pulled } from './link';
import { JsDelivery, JsLease, type JsQueue } from './queue';

/** What the leases need of their store. */
export interface LeaseHost {
  readonly queues: ReadonlyMap<string, JsQueue>;
  readonly maxDeliveries: number;
  readonly serverAckWaitMs: number;
  readonly figures: { staleSettles: number; corrupt: number };
  /** The connection, undefined once closed. */
  link(): JsLink | undefined;
  isOpen(): boolean;
  /** The queue has messages again: tell this store's listeners and the other brokers. */
  signal(q: JsQueue): void;
  /** Keeps `p` among what close() waits for. */
  track<T>(p: Promise<T>): Promise<T>;
  /** Runs `p` in the background: a failure is counted, never thrown. */
  background(p: Promise<unknown>): void;
  backgroundFailed(err: unknown): void;
}

export class Leases {
  private readonly expiries = new MinHeap<{ at: number; lease: JsLease }>((e) => e.at);
  private readonly expiryAlarm = new Alarm(() => this.expire());
  private readonly delayAlarm = new Alarm(() => this.endDelays());

  constructor(private readonly host: LeaseHost) {}

  /** Stops the timers (close). */
  cancel(): void {
    this.expiryAlarm.cancel();
    this.delayAlarm.cancel();
  }

  /**
   * Leases what a pull brought: in seq order (JetStream hands out redeliveries in the order
   * they came back), each with its deadline; a message past maxAgeMs is dead-lettered instead
   * (before this resolves), one that does not decode terminated and counted.
   */
  async take(link: JsLink, q: JsQueue, got: Pulled[], ackWaitMs: number): Promise<Delivery[]> {
    got.sort((a, b) => a.seq - b.seq);
    const now = Date.now();
    const out: Delivery[] = [];
    const expired: Array<Promise<void>> = [];
    for (const p of got) {
      let message: StoredMessage;
      try {
        message = decodeMessage(p.data, `${q.names.stream} seq ${p.seq}`);
      } catch (err) {
        if (!(err instanceof StoreCorruptError)) throw err;
        this.host.figures.corrupt++;
        link.settle(p.reply, '+TERM');
        continue;
      }
      const maxAge = q.def.maxAgeMs;
      if (maxAge > 0 && now - message.publishedAt >= maxAge) {
        expired.push(this.kill(link, q, p.seq, p.reply, message, 'expired', p.deliveries - 1));
        continue;
      }
      const lease = new JsLease(q, p.seq, p.deliveries, p.reply, message, now + ackWaitMs, now);
      const old = q.leases.get(p.seq);
      if (old !== undefined) old.state = 'lapsed';
      q.leases.set(p.seq, lease);
      q.counters.delivered++;
      if (p.deliveries > 1) q.counters.redelivered++;
      this.expiries.push({ at: lease.deadline, lease });
      out.push(new JsDelivery(lease));
    }
    if (out.length > 0) this.expiryAlarm.arm(now + ackWaitMs);
    // Dead before this lease answers: a caller listing dead letters next finds them.
    for (const r of await Promise.allSettled(expired)) {
      if (r.status === 'rejected') this.host.backgroundFailed(r.reason);
    }
    return out;
  }

  async ack(link: JsLink, deliveries: Delivery[]): Promise<void> {
    if (!Array.isArray(deliveries)) throw new StoreRequestError('ack', 'expects an array');
    const replies: string[] = [];
    for (const d of deliveries) {
      const lease = this.leaseOf(d);
      // Any holder's ack removes the message (the work was done), even past its lease.
      if (lease === undefined || lease.state === 'settled') {
        this.host.figures.staleSettles++;
        continue;
      }
      this.release(lease);
      lease.queue.counters.acked++;
      replies.push(lease.reply);
    }
    const last = replies.pop();
    if (last === undefined) return;
    for (const reply of replies) link.settle(reply, '+ACK');
    // JetStream handles one connection's acks in order: the last one answered covers all.
    await this.host.track(link.settleConfirmed(last, '+ACK'));
  }

  async nak(link: JsLink, delivery: Delivery, delayMs: number): Promise<'requeued' | 'dead'> {
    checkDelay(delayMs);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return 'requeued';
    const q = lease.queue;
    q.counters.nacked++;
    if (lease.attempt >= this.host.maxDeliveries) {
      this.release(lease);
      await this.host.track(
        this.kill(link, q, lease.seq, lease.reply, lease.message, 'max-deliveries', lease.attempt),
      );
      return 'dead';
    }
    this.release(lease);
    if (delayMs > 0) {
      await this.host.track(
        link.settleConfirmed(lease.reply, `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`),
      );
      const at = Date.now() + delayMs;
      q.delayed.set(lease.seq, at);
      this.delayAlarm.arm(at);
    } else {
      await this.host.track(link.settleConfirmed(lease.reply, '-NAK'));
      this.host.signal(q);
    }
    return 'requeued';
  }

  async term(link: JsLink, delivery: Delivery, reason: string): Promise<void> {
    const why = termReason(reason);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return;
    this.release(lease);
    await this.host.track(
      this.kill(link, lease.queue, lease.seq, lease.reply, lease.message, why, lease.attempt),
    );
  }

  async progress(link: JsLink, delivery: Delivery, ackWaitMs: number): Promise<void> {
    positiveInt('progress', 'ackWaitMs', ackWaitMs);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return;
    const now = Date.now();
    lease.deadline = now + ackWaitMs;
    lease.touched = now;
    this.expiries.push({ at: lease.deadline, lease });
    this.expiryAlarm.arm(lease.deadline);
    link.settle(lease.reply, '+WPI');
  }

  /** The lease a delivery names (its handle, else this store's lease of that queue and seq). */
  private leaseOf(d: Delivery): JsLease | undefined {
    if (typeof d !== 'object' || d === null)
      throw new StoreRequestError('settle', 'not a delivery');
    const q = this.host.queues.get(d.queue);
    if (q === undefined) return undefined;
    const h = d.handle;
    if (h instanceof JsLease && h.queue === q) return h;
    const lease = q.leases.get(d.seq);
    return lease !== undefined && lease.attempt === d.attempt ? lease : undefined;
  }

  /** The lease when the delivery is one this store holds now; counts a stale one. */
  private currentLease(d: Delivery): JsLease | undefined {
    const lease = this.leaseOf(d);
    if (lease === undefined || lease.state !== 'held' || lease.attempt !== d.attempt) {
      this.host.figures.staleSettles++;
      return undefined;
    }
    return lease;
  }

  /** The lease leaves this store (settled, or given back). */
  private release(lease: JsLease): void {
    lease.state = 'settled';
    const q = lease.queue;
    if (q.leases.get(lease.seq) === lease) q.leases.delete(lease.seq);
  }

  /**
   * Dead-letters a message this store holds: written to the dead letters first, then
   * terminated in the work stream (which removes it). A failure between the two leaves it in
   * both: delivered again, and dead once more (deduplicated by seq) or acked.
   */
  private async kill(
    link: JsLink,
    q: JsQueue,
    seq: number,
    reply: string,
    message: StoredMessage,
    reason: string,
    attempts: number,
  ): Promise<void> {
    await writeDeadLetter(link, q, seq, message, reason, attempts);
    await link.settleConfirmed(reply, '+TERM');
  }

  /** Gives a lease back at once (the attempt counts), or dead-letters it on its last attempt. */
  async giveBack(lease: JsLease): Promise<void> {
    const link = this.host.link();
    if (link === undefined || lease.state !== 'held') return;
    this.release(lease);
    const q = lease.queue;
    if (lease.attempt >= this.host.maxDeliveries) {
      await this.kill(
        link,
        q,
        lease.seq,
        lease.reply,
        lease.message,
        'max-deliveries',
        lease.attempt,
      );
      return;
    }
    await link.settleConfirmed(lease.reply, '-NAK');
    this.host.signal(q);
  }

  private expire(): void {
    if (!this.host.isOpen()) return;
    const now = Date.now();
    for (;;) {
      const top = this.expiries.peek();
      if (top === undefined) return;
      const { at, lease } = top;
      if (lease.state !== 'held' || lease.deadline !== at) {
        this.expiries.pop();
        continue;
      }
      if (at > now) {
        this.expiryAlarm.arm(at);
        return;
      }
      this.expiries.pop();
      lease.queue.counters.expired++;
      this.host.background(this.giveBack(lease));
    }
  }

  private endDelays(): void {
    if (!this.host.isOpen()) return;
    const now = Date.now();
    let next = Infinity;
    for (const q of this.host.queues.values()) {
      for (const [seq, at] of q.delayed) {
        if (at <= now) {
          q.delayed.delete(seq);
          this.host.signal(q);
        } else next = Math.min(next, at);
      }
    }
    if (next !== Infinity) this.delayAlarm.arm(next);
  }

  /** Keeps JetStream's ack wait of every lease (and late delivery) held from running out. */
  keepAlive(): void {
    const link = this.host.link();
    if (link === undefined || !this.host.isOpen()) return;
    const now = Date.now();
    const due = this.host.serverAckWaitMs / 3;
    for (const q of this.host.queues.values()) {
      for (const held of [...q.leases.values(), ...q.late]) {
        if (now - held.touched < due) continue;
        held.touched = now;
        link.settle('reply' in held ? held.reply : held.pulled.reply, '+WPI');
      }
    }
  }
}
