import { DEFAULT_CONFIRM_WINDOW, NackError } from '@zmq-mq/client';

/** Refusals written out one by one; past these, only counted for the summary. */
const SHOWN_REFUSALS = 10;

/**
 * The confirmed sends of `produce --confirm` in flight: at most `window` at once (the SDK's
 * own window, so that no send waits inside it unbounded), each counted as confirmed or refused.
 * The first refusals are reported as they come, all of them by reason in `summary()`.
 */
export class Confirmations {
  confirmed = 0;
  refused = 0;
  private pending = 0;
  private readonly reasons = new Map<string, number>();
  private wakeRoom: (() => void) | undefined;
  private wakeSettled: (() => void) | undefined;

  constructor(
    private readonly report: (line: string) => void,
    private readonly window = DEFAULT_CONFIRM_WINDOW,
  ) {}

  /** Follows one send's outcome. */
  add(send: Promise<void>): void {
    this.pending++;
    send.then(
      () => {
        this.confirmed++;
        this.settle();
      },
      (err: Error) => {
        this.refused++;
        const reason =
          err instanceof NackError ? err.reason : ((err as { code?: string }).code ?? err.name);
        this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
        if (this.refused <= SHOWN_REFUSALS) this.report(`not confirmed: ${err.message}`);
        this.settle();
      },
    );
  }

  /** Resolves once there is room for another send (at once when there is). */
  room(): Promise<void> | undefined {
    if (this.pending < this.window) return undefined;
    return new Promise((resolve) => (this.wakeRoom = resolve));
  }

  /** Resolves once every send followed has its outcome. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => (this.wakeSettled = resolve));
  }

  /** `3 not confirmed (queue-full: 2, ZMQMQ_ERR_CLOSED: 1)`, or '' when all were confirmed. */
  summary(): string {
    if (this.refused === 0) return '';
    const by = [...this.reasons].map(([reason, n]) => `${reason}: ${n}`).join(', ');
    return `${this.refused} not confirmed (${by})`;
  }

  private settle(): void {
    this.pending--;
    const room = this.wakeRoom;
    this.wakeRoom = undefined;
    room?.();
    if (this.pending === 0) {
      const settled = this.wakeSettled;
      this.wakeSettled = undefined;
      settled?.();
    }
  }
}
