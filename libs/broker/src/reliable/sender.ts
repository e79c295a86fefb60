import { isZmqError } from '@zmq-mq/protocol';
import type { Router } from 'zeromq';
import type { Session } from './session';
import type { ReliableStats, SendFailure } from './stats';

/**
 * The reliable port's one writer. Sends are synchronous (the ROUTER has `sendTimeout: 0`, so
 * zeromq.js never leaves a send pending) and `mandatory`: a client that is gone is an error
 * (`unroutable`), as is one whose pipe is full (`peer-full`); both are counted, never waited
 * for. The caller hears of a failure through `onFail` when what it sent must be taken back
 * (a DELIVER's leases).
 */
export class Sender {
  constructor(
    private readonly router: Router,
    private readonly stats: ReliableStats,
  ) {}

  /** Sends a command (`frames` from an encoder: the routing identity is put in front). */
  send(session: Session, frames: Buffer[], onFail?: (reason: SendFailure) => void): void {
    session.lastSent = Date.now();
    if (this.router.closed) {
      this.failed('other', onFail);
      return;
    }
    frames.unshift(session.peer);
    this.router.send(frames).then(undefined, (err: unknown) => {
      const reason: SendFailure = isZmqError(err, 'EAGAIN')
        ? 'peer-full'
        : isZmqError(err, 'EHOSTUNREACH')
          ? 'unroutable'
          : 'other';
      this.failed(reason, onFail);
    });
  }

  private failed(reason: SendFailure, onFail: ((reason: SendFailure) => void) | undefined): void {
    this.stats.sendFailures[reason]++;
    onFail?.(reason);
  }
}
