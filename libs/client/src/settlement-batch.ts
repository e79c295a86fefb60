import { encodeAck, encodeNak, encodeProgress, encodeTerm, MAX_ENTRIES } from '@zmq-mq/protocol';
import type { NakEntry, TermEntry } from '@zmq-mq/protocol';

/**
 * A QueueWorker's pending ACK, NAK, TERM and PROGRESS: they go out together when `ackBatch`
 * are pending, or half the credit if less (a consumer whose deliveries are all settled must not
 * wait for the timer to get more), else `flushMs` after the first.
 */
export class SettlementBatch {
  /** The credit of the latest consumer. */
  credit = 1;
  private acks: number[] = [];
  private naks: NakEntry[] = [];
  private terms: TermEntry[] = [];
  private progressing: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flushMs: number,
    private readonly ackBatch: number,
    /** Where they go; nothing is sent before the session's WELCOME. */
    private readonly link: { readonly welcomed: boolean; send(frames: Buffer[]): void },
  ) {}

  ack(tag: number): void {
    this.acks.push(tag);
    this.schedule();
  }

  nak(tag: number, delayMs: number | undefined): void {
    this.naks.push(delayMs === undefined ? { tag } : { tag, delayMs });
    this.schedule();
  }

  term(tag: number, reason: string | undefined): void {
    this.terms.push(reason === undefined ? { tag } : { tag, reason });
    this.schedule();
  }

  progress(tag: number): void {
    this.progressing.push(tag);
    this.schedule();
  }

  /** Sends what is pending now; before WELCOME it waits for the next flush. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.link.welcomed) return;
    for (const tags of chunks(this.acks)) this.link.send(encodeAck(tags));
    for (const entries of chunks(this.naks)) this.link.send(encodeNak(entries));
    for (const entries of chunks(this.terms)) this.link.send(encodeTerm(entries));
    for (const tags of chunks(this.progressing)) this.link.send(encodeProgress(tags));
    this.acks = [];
    this.naks = [];
    this.terms = [];
    this.progressing = [];
  }

  /** Drops what is pending (its tags were voided); returns how many ACK, NAK and TERM that was. */
  drop(): number {
    const dropped = this.acks.length + this.naks.length + this.terms.length;
    this.acks = [];
    this.naks = [];
    this.terms = [];
    this.progressing = [];
    return dropped;
  }

  private schedule(): void {
    const pending =
      this.acks.length + this.naks.length + this.terms.length + this.progressing.length;
    const threshold = Math.min(this.ackBatch, Math.max(1, Math.floor(this.credit / 2)));
    if (pending >= threshold) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }
}

function* chunks<T>(list: T[]): Generator<T[]> {
  for (let i = 0; i < list.length; i += MAX_ENTRIES) yield list.slice(i, i + MAX_ENTRIES);
}
