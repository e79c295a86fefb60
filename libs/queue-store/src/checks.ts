/**
 * Argument checks every store makes the same way: each throws a StoreRequestError naming the
 * operation and the bad argument.
 */
import { StoreRequestError } from './errors';
import type { AppendRequest } from './types';

/** A dead letter's reason text is cut to this many characters. */
export const MAX_TERM_REASON = 1000;

/** Throws unless `value` is an integer >= 1. */
export function positiveInt(operation: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StoreRequestError(
      operation,
      `${field} must be an integer >= 1 (got ${String(value)})`,
    );
  }
}

/** Throws naming the first malformed request of an append. */
export function validateBatch(batch: AppendRequest[]): void {
  if (!Array.isArray(batch)) throw new StoreRequestError('append', 'expects an array of requests');
  for (let i = 0; i < batch.length; i++) {
    const req = batch[i];
    const bad = (problem: string): never => {
      throw new StoreRequestError('append', `request ${i}: ${problem}`);
    };
    if (typeof req !== 'object' || req === null) bad('not an object');
    const { message, queues, dedupId } = req as AppendRequest;
    if (!Array.isArray(queues) || queues.length === 0) bad('queues must name at least one queue');
    if (!queues.every((q) => typeof q === 'string')) bad('queues must be strings');
    if (dedupId !== undefined && typeof dedupId !== 'string') bad('dedupId must be a string');
    if (typeof message !== 'object' || message === null) bad('message must be an object');
    const { frames, topic, id, publishedAt } = message;
    if (!Array.isArray(frames) || frames.length === 0) bad('message.frames must hold frames');
    if (!frames.every((f) => f instanceof Uint8Array)) bad('message.frames must be Buffers');
    if (typeof topic !== 'string') bad('message.topic must be a string');
    if (typeof id !== 'string') bad('message.id must be a string');
    if (typeof publishedAt !== 'number' || !Number.isFinite(publishedAt)) {
      bad('message.publishedAt must be a number (ms)');
    }
  }
}

/** lease(queue, max, ackWaitMs): max >= 0, ackWaitMs >= 1. */
export function checkLease(max: unknown, ackWaitMs: unknown): void {
  positiveInt('lease', 'ackWaitMs', ackWaitMs);
  if (!Number.isInteger(max) || (max as number) < 0) {
    throw new StoreRequestError('lease', `max must be an integer >= 0 (got ${String(max)})`);
  }
}

/** nak(delivery, delayMs): delayMs >= 0. */
export function checkDelay(delayMs: unknown): void {
  if (!Number.isInteger(delayMs) || (delayMs as number) < 0) {
    throw new StoreRequestError('nak', `delayMs must be an integer >= 0 (got ${String(delayMs)})`);
  }
}

/** The dead-letter reason of term(delivery, reason): `term: <reason>` (cut), or `term`. */
export function termReason(reason: unknown): string {
  if (typeof reason !== 'string') throw new StoreRequestError('term', 'reason must be a string');
  const why = reason.length > MAX_TERM_REASON ? reason.slice(0, MAX_TERM_REASON) : reason;
  return why === '' ? 'term' : `term: ${why}`;
}

/** deadLetters(queue, {after, limit}): the `after` to use (default 0). */
export function deadLettersAfter(opts: { after?: number; limit: number } | undefined): number {
  const after = opts?.after ?? 0;
  if (!Number.isInteger(after) || after < 0) {
    throw new StoreRequestError('deadLetters', `after must be an integer >= 0 (got ${after})`);
  }
  positiveInt('deadLetters', 'limit', opts?.limit);
  return after;
}

/** replay(queue, seqs): undefined (all) or integers. */
export function checkReplaySeqs(seqs: unknown): void {
  if (seqs !== undefined && (!Array.isArray(seqs) || !seqs.every((s) => Number.isInteger(s)))) {
    throw new StoreRequestError('replay', 'seqs must be an array of integers');
  }
}
