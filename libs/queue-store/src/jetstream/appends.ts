/**
 * Appends on JetStream: a request published to each of its queues' streams, answered from the
 * PubAcks; a full drop-oldest queue makes room by dropping its oldest never-delivered message;
 * a request one queue refuses is taken out of the others (all or nothing).
 */
import type { QueueLimit } from '../definition';
import { StoreUnavailableError } from '../errors';
import { queueFull, requestTargets } from '../results';
import type { AppendRequest, AppendResult } from '../types';
import { admin, undelivered } from './admin';
import { encodeMessage, msgIdHeaderBytes, storedSize } from './codec';
import type { JsLink, PubAckResult } from './link';
import type { JsQueue } from './queue';

/** Drops one append may cause in a full drop-oldest queue before it is refused. */
const MAX_DROPS_PER_APPEND = 64;

/**
 * JetStream's answer to a publish a stream refused for a limit (err_code 10077 covers every
 * store failure; its description says which limit). Undefined for any other error.
 */
function limitOf(ack: Extract<PubAckResult, { ok: false }>): QueueLimit | undefined {
  if (ack.description.includes('maximum messages')) return 'maxMessages';
  if (ack.description.includes('maximum bytes') || ack.description.includes('message size')) {
    return 'maxBytes';
  }
  return undefined;
}

/**
 * Publishes the message to each queue (all written now, in order); resolves with their
 * PubAcks once all have answered, or rejects with the first failure once all have settled.
 */
async function publishAll(
  link: JsLink,
  targets: JsQueue[],
  payload: Buffer,
  dedupId: string | undefined,
): Promise<PubAckResult[]> {
  const first = targets[0] as JsQueue;
  // One queue, nearly always: no array of settled results to build.
  if (targets.length === 1) return [await link.publish(first.names.subject, payload, dedupId)];
  const settled = await Promise.allSettled(
    targets.map((q) => link.publish(q.names.subject, payload, dedupId)),
  );
  const acks: PubAckResult[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    acks.push(s.value);
  }
  return acks;
}

/**
 * Appends one request to its queues: published to each (all written before the first await),
 * then answered from the PubAcks: stored, duplicate (every queue had the dedup id), or
 * refused (a limit, or a queue unknown to this store). Throws StoreUnavailableError when
 * JetStream did not answer or answered another error.
 */
export async function appendRequest(
  link: JsLink,
  queues: ReadonlyMap<string, JsQueue>,
  consumer: string,
  req: AppendRequest,
): Promise<AppendResult> {
  const targets = requestTargets(req.queues, queues);
  if (!Array.isArray(targets)) return targets;
  const payload = encodeMessage(req.message);
  const header = msgIdHeaderBytes(req.dedupId);
  for (const q of targets) {
    // A message bigger than the whole queue: JetStream would store it and then drop it
    // (drop-oldest) or refuse it with another error; refused here, named the same way.
    if (storedSize(Buffer.byteLength(q.names.subject), header, payload.length) > q.def.maxBytes) {
      q.counters.rejected++;
      return queueFull(q.def, 'maxBytes');
    }
  }
  const acks = await publishAll(link, targets, payload, req.dedupId);
  const seqs: Array<number | undefined> = new Array(targets.length);
  let refused: AppendResult | undefined;
  for (let i = 0; i < targets.length; i++) {
    const q = targets[i] as JsQueue;
    let ack = acks[i] as PubAckResult;
    if (!ack.ok && limitOf(ack) !== undefined && q.def.overflow === 'drop-oldest') {
      ack = await makeRoom(link, q, consumer, payload, req.dedupId, ack);
    }
    if (ack.ok) {
      if (ack.duplicate) q.counters.duplicates++;
      else seqs[i] = ack.seq;
      continue;
    }
    const limit = limitOf(ack);
    if (limit === undefined)
      throw new StoreUnavailableError('append', `${q.names.stream}: ${ack.description}`);
    q.counters.rejected++;
    refused ??= queueFull(q.def, limit);
  }
  if (refused !== undefined) {
    // All or nothing: take the copies stored in the other queues out again.
    await Promise.allSettled(
      targets.map((q, i) => {
        const seq = seqs[i];
        return seq === undefined
          ? undefined
          : link.jsm.streams.deleteMessage(q.names.stream, seq, false);
      }),
    );
    return refused;
  }
  const stored = seqs.filter((s) => s !== undefined);
  if (stored.length === 0) return { status: 'duplicate' };
  targets.forEach((q, i) => {
    if (seqs[i] !== undefined) q.counters.appended++;
  });
  return { status: 'stored', seqs: stored };
}

/**
 * A drop-oldest queue refused a message for a limit: drops its oldest message never
 * delivered (no consumer holds it) and publishes again, until it fits or nothing is left
 * to drop. One append at a time per queue.
 */
function makeRoom(
  link: JsLink,
  q: JsQueue,
  consumer: string,
  payload: Buffer,
  dedupId: string | undefined,
  first: PubAckResult,
): Promise<PubAckResult> {
  const run = q.makingRoom.then(async () => {
    let ack = first;
    for (let drops = 0; drops < MAX_DROPS_PER_APPEND; drops++) {
      const [oldest] = await undelivered(link.jsm, q, consumer, 1);
      if (oldest === undefined) return ack;
      const gone = await admin('append', () =>
        link.jsm.streams.deleteMessage(q.names.stream, oldest.seq, false),
      ).catch(() => false);
      if (gone) q.counters.droppedOldest++;
      ack = await link.publish(q.names.subject, payload, dedupId);
      if (ack.ok || limitOf(ack) === undefined) return ack;
    }
    return ack;
  });
  q.makingRoom = run.catch(() => undefined);
  return run;
}
