/**
 * A confirmed flow for the kill tests: `total` messages sent through a confirming producer,
 * never more than `ahead` past what the workers have been delivered, so that whatever is done
 * mid-flow (a SIGKILL) finds messages confirmed, delivered, and still in flight on both sides,
 * however the machine's load shares the two cores between producer and workers.
 */

export interface ConfirmedFlowOptions {
  total: number;
  /** Messages the producer may send past the deliveries seen so far (at least 1). */
  ahead: number;
  /** Sends message `i`; resolves with its id once confirmed. */
  send(i: number): Promise<string>;
  /** Deliveries seen so far (any attempt). */
  delivered(): number;
  /** `midFlow` runs, synchronously, the first time both counts are reached. */
  at: { confirmed: number; delivered: number };
  midFlow(): void;
}

export interface ConfirmedFlow {
  readonly total: number;
  readonly confirmed: Set<string>;
  /** Resolves once every message was sent and confirmed (one entry, for expectFlowDone). */
  readonly sends: Array<Promise<void>>;
  /** Resolves once `midFlow` has run. */
  readonly midFlow: Promise<void>;
  /** Call on each delivery: it wakes the producer and may run `midFlow`. */
  delivery(): void;
}

export function startConfirmedFlow(o: ConfirmedFlowOptions): ConfirmedFlow {
  const confirmed = new Set<string>();
  let wake: (() => void) | undefined;
  let ran = false;
  let markRan!: () => void;
  const midFlow = new Promise<void>((resolve) => (markRan = resolve));
  const check = (): void => {
    if (!ran && confirmed.size >= o.at.confirmed && o.delivered() >= o.at.delivered) {
      ran = true;
      o.midFlow();
      markRan();
    }
  };
  const pending: Array<Promise<void>> = [];
  const sending = (async () => {
    for (let i = 0; i < o.total; i++) {
      while (i >= o.delivered() + o.ahead) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      pending.push(
        o.send(i).then((id) => {
          confirmed.add(id);
          check();
        }),
      );
    }
    await Promise.all(pending);
  })();
  return {
    total: o.total,
    confirmed,
    sends: [sending],
    midFlow,
    delivery() {
      check();
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
}
