import type { EnvelopeOf, Meta, TopicMap } from '@zmq-mq/protocol';

/** How a delivery is settled; the worker batches these into ACK, NAK, TERM and PROGRESS. */
export interface Settlements {
  settle(delivery: DeliveryHandle, outcome: 'ack' | 'nak' | 'term', detail?: number | string): void;
  progress(delivery: DeliveryHandle): void;
}

/** What every delivery of a QueueWorker carries besides its envelope. */
export interface DeliveryControl {
  /** The queue it came from. */
  readonly queue: string;
  /** The broker's tag for this delivery. */
  readonly tag: number;
  /** 1 on the first delivery, +1 on each redelivery. */
  readonly attempt: number;
  /** The message's frames as published (frame 0 `topic SP payload`, then the metadata frame). */
  readonly frames: readonly Buffer[];
  /** True once `ack()`, `nak()` or `term()` was called (or the tag was voided by a new epoch). */
  readonly settled: boolean;
  /** Removes the message from the queue. */
  ack(): void;
  /** Returns it to the queue, to be delivered again after `delayMs` (default at once). */
  nak(delayMs?: number): void;
  /** Moves it to the queue's dead letters, with `reason`. */
  term(reason?: string): void;
  /** Restarts its ack-wait lease: the handler needs more time. */
  progress(): void;
}

/**
 * A message leased from a queue: its envelope (`topic`, `body`, `meta`, typed by the topic map)
 * and the controls that settle it. The first of `ack()`, `nak()` and `term()` counts; later
 * calls do nothing.
 */
export type QueueDelivery<M extends TopicMap> = EnvelopeOf<M> & DeliveryControl;

/** The object behind a QueueDelivery: methods on the prototype, no closures per message. */
export class DeliveryHandle implements DeliveryControl {
  topic = '';
  body: unknown = undefined;
  meta: Meta | undefined = undefined;
  settled = false;

  constructor(
    private readonly sink: Settlements,
    readonly queue: string,
    readonly tag: number,
    readonly attempt: number,
    readonly frames: readonly Buffer[],
    /** The worker's generation of tags when it arrived: a new epoch voids older ones. */
    readonly generation: number,
  ) {}

  ack(): void {
    this.sink.settle(this, 'ack');
  }

  nak(delayMs?: number): void {
    this.sink.settle(this, 'nak', delayMs);
  }

  term(reason?: string): void {
    this.sink.settle(this, 'term', reason);
  }

  progress(): void {
    this.sink.progress(this);
  }
}
