/**
 * A queue's dead letters in its dead-letter stream (limits retention, max_msgs =
 * maxDeadMessages, the oldest dropped past it): one message per dead letter, its subject
 * ending with the message's seq in the queue, so that `deadLetters`, `replay` and `purge`
 * address them by that seq as with the embedded store.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { StoreUnavailableError } from '../errors';
import type { DeadLetter, StoredMessage } from '../types';
import { admin } from './admin';
import { decodeDead, encodeDead, encodeMessage } from './codec';
import type { JsLink } from './link';
import { seqOfDeadSubject } from './names';
import type { JsQueue } from './queue';

/**
 * Writes a dead letter (deduplicated by seq, so the same message dead-lettered twice, by two
 * brokers or a retry, is kept once). Counts it, and the oldest one JetStream drops to make room.
 */
export async function writeDeadLetter(
  link: JsLink,
  q: JsQueue,
  seq: number,
  message: StoredMessage,
  reason: string,
  attempts: number,
): Promise<void> {
  q.counters.deadLettered++;
  const max = q.def.maxDeadMessages;
  if (max === 0) {
    q.counters.deadDropped++;
    return;
  }
  const dead = (await admin('dead-letter', () => link.jsm.streams.info(q.names.deadStream))).state
    .messages;
  const payload = encodeDead({ reason, attempts, deadAt: Date.now(), message });
  const ack = await link.publish(q.names.deadSubject(seq), payload, String(seq));
  if (!ack.ok) throw new StoreUnavailableError('dead-letter', ack.description);
  if (!ack.duplicate) {
    if (dead >= max) q.counters.deadDropped++;
    else q.view.dead = Math.max(q.view.dead, dead + 1);
  }
}

/** The seqs of the queue's dead letters, in order. */
async function deadSeqs(jsm: JetStreamManager, q: JsQueue): Promise<number[]> {
  const info = await jsm.streams.info(q.names.deadStream, { subjects_filter: '>' });
  const seqs: number[] = [];
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const seq = seqOfDeadSubject(subject);
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}

async function readDead(
  jsm: JetStreamManager,
  q: JsQueue,
  seq: number,
): Promise<{ letter: DeadLetter; deadSeq: number } | undefined> {
  const m = await jsm.streams.getMessage(q.names.deadStream, {
    last_by_subj: q.names.deadSubject(seq),
  });
  if (m === null) return undefined;
  const d = decodeDead(m.data, `dead letter ${seq} of ${q.def.name}`);
  return {
    letter: {
      queue: q.def.name,
      seq,
      message: d.message,
      reason: d.reason,
      attempts: d.attempts,
      deadAt: d.deadAt,
    },
    deadSeq: m.seq,
  };
}

export function listDeadLetters(
  link: JsLink,
  q: JsQueue,
  after: number,
  limit: number,
): Promise<DeadLetter[]> {
  return admin('deadLetters', async () => {
    const seqs = (await deadSeqs(link.jsm, q)).filter((s) => s > after).slice(0, limit);
    const read = await Promise.all(seqs.map((s) => readDead(link.jsm, q, s)));
    return read.filter((r) => r !== undefined).map((r) => r.letter);
  });
}

/**
 * Publishes dead letters (all, or those seqs) to the queue's tail, attempt reset (a new
 * message: no dedup id, a new seq), each removed from the dead letters once stored. Stops at
 * the first the queue refuses (full): a replay never drops.
 */
export function replayDeadLetters(
  link: JsLink,
  q: JsQueue,
  seqs: number[] | undefined,
): Promise<number> {
  return admin('replay', async () => {
    const jsm = link.jsm;
    const all = await deadSeqs(jsm, q);
    const wanted =
      seqs === undefined
        ? all
        : [...new Set(seqs)].filter((s) => all.includes(s)).sort((a, b) => a - b);
    let n = 0;
    for (const seq of wanted) {
      const d = await readDead(jsm, q, seq);
      if (d === undefined) continue;
      const ack = await link.publish(q.names.subject, encodeMessage(d.letter.message));
      if (!ack.ok) break;
      await jsm.streams.deleteMessage(q.names.deadStream, d.deadSeq, false);
      q.counters.replayed++;
      n++;
    }
    return n;
  });
}

export function purgeDeadLetters(link: JsLink, q: JsQueue): Promise<number> {
  return admin('purge', async () => {
    const r = await link.jsm.streams.purge(q.names.deadStream);
    q.counters.purged += r.purged;
    q.view.dead = 0;
    return r.purged;
  });
}
