/**
 * The JetStream objects behind the queues, made and read through the JetStreamManager: each
 * queue's work stream, consumer and dead-letter stream, the definitions stream, the figures
 * `stats()` serves, and the oldest message never delivered (what drop-oldest drops and the
 * maxAgeMs sweep checks).
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { QueueDefinition } from '../definition';
import { StoreUnavailableError } from '../errors';
import { decodeDefinition, decodeMessage, encodeDefinition } from './codec';
import type { JsLink } from './link';
import type { NamespaceNames } from './names';
import type { QueueView, JsQueue } from './queue';

/** ms to the nanoseconds JetStream's durations are in. */
const ns = (ms: number): number => ms * 1_000_000;

/** Settings every queue's JetStream objects get from the store. */
export interface Layout {
  replicas: number;
  maxDeliveries: number;
  dedupWindowMs: number;
  serverAckWaitMs: number;
  names: NamespaceNames;
}

/** Runs an admin call; a failure becomes a StoreUnavailableError naming what was done. */
export async function admin<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(what, (err as Error).message, { cause: err });
  }
}

/** Whether the info call finds its stream or consumer (10059 stream, 10014 consumer not found). */
function exists(info: Promise<unknown>): Promise<boolean> {
  return info.then(
    () => true,
    (err: unknown) => {
      if (err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014))
        return false;
      throw err;
    },
  );
}

/** Creates the stream, or updates it to `config` when it exists. */
async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  if (await exists(jsm.streams.info(config.name))) await jsm.streams.update(config.name, config);
  else
    await jsm.streams.add(config).catch(async (err: unknown) => {
      // Made meanwhile by another broker (10058: the name is in use).
      if (err instanceof JetStreamApiError && err.code === 10058) {
        await jsm.streams.update(config.name, config);
      } else throw err;
    });
}

/** The definitions stream (made when missing): the last definition of each queue, one subject per queue. */
export function ensureDefinitionsStream(jsm: JetStreamManager, layout: Layout): Promise<void> {
  return admin('open', async () => {
    if (await exists(jsm.streams.info(layout.names.definitions))) return;
    await ensureStream(jsm, {
      name: layout.names.definitions,
      subjects: [layout.names.definitionSubjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: layout.replicas,
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.Old,
    });
  });
}

/** Makes (or brings up to date) a queue's work stream, consumer and dead-letter stream, then records the definition. */
export async function ensureQueue(
  link: JsLink,
  q: JsQueue,
  def: QueueDefinition,
  layout: Layout,
): Promise<void> {
  const jsm = link.jsm;
  const n = q.names;
  await admin('declare', async () => {
    await ensureStream(jsm, {
      name: n.stream,
      subjects: [n.subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: layout.replicas,
      max_msgs: def.maxMessages,
      max_bytes: def.maxBytes,
      // Always refused at the limit: the store drops the oldest itself for drop-oldest
      // queues, sparing leased messages (JetStream's DiscardOld would drop them too).
      discard: DiscardPolicy.New,
      duplicate_window: ns(layout.dedupWindowMs),
    });
    const consumer: Partial<ConsumerConfig> = {
      durable_name: layout.names.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ns(layout.serverAckWaitMs),
      max_deliver: layout.maxDeliveries,
      max_ack_pending: -1,
      deliver_policy: DeliverPolicy.All,
    };
    if (await exists(jsm.consumers.info(n.stream, layout.names.consumer)))
      await jsm.consumers.update(n.stream, layout.names.consumer, consumer);
    else await jsm.consumers.add(n.stream, consumer);
    await ensureStream(jsm, {
      name: n.deadStream,
      subjects: [n.deadSubjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: layout.replicas,
      // 0 keeps none: the store then writes none.
      max_msgs: Math.max(1, def.maxDeadMessages),
      discard: DiscardPolicy.Old,
      duplicate_window: ns(layout.dedupWindowMs),
    });
  });
  const ack = await link.publish(n.definitionSubject, encodeDefinition(def));
  if (!ack.ok)
    throw new StoreUnavailableError('declare', `recording the definition: ${ack.description}`);
}

/** Every definition recorded, and the definitions stream's last seq (to tell when to read again). */
export async function loadDefinitions(
  jsm: JetStreamManager,
  names: NamespaceNames,
): Promise<{ defs: QueueDefinition[]; lastSeq: number }> {
  return admin('open', async () => {
    const info = await jsm.streams.info(names.definitions, { subjects_filter: '>' });
    const subjects = Object.keys(info.state.subjects ?? {});
    const got = await Promise.all(
      subjects.map((subject) =>
        jsm.streams.getMessage(names.definitions, { last_by_subj: subject }),
      ),
    );
    const defs: QueueDefinition[] = [];
    for (const m of got)
      if (m !== null) defs.push(decodeDefinition(m.data, `definition ${m.subject}`));
    defs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { defs, lastSeq: info.state.last_seq };
  });
}

/** The definitions stream's last seq now. */
export async function definitionsSeq(
  jsm: JetStreamManager,
  names: NamespaceNames,
): Promise<number> {
  return admin('refresh', async () => (await jsm.streams.info(names.definitions)).state.last_seq);
}

/** Reads a queue's figures from JetStream (three requests, plus the oldest message when it changed). */
export async function readView(
  jsm: JetStreamManager,
  q: JsQueue,
  consumer: string,
): Promise<QueueView> {
  const n = q.names;
  return admin('stats', async () => {
    const [stream, info, dead] = await Promise.all([
      jsm.streams.info(n.stream),
      jsm.consumers.info(n.stream, consumer),
      jsm.streams.info(n.deadStream),
    ]);
    const s = stream.state;
    let oldestPublishedAt = 0;
    if (s.messages > 0) {
      oldestPublishedAt =
        s.first_seq === q.view.firstSeq && q.view.oldestPublishedAt > 0
          ? q.view.oldestPublishedAt
          : await oldestPublished(jsm, n.stream, s.first_seq);
    }
    return {
      messages: s.messages,
      bytes: s.bytes,
      pending: info.num_pending,
      delivered: info.delivered.stream_seq,
      firstSeq: s.first_seq,
      lastSeq: s.last_seq,
      oldestPublishedAt,
      dead: dead.state.messages,
    };
  });
}

async function oldestPublished(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
): Promise<number> {
  const m = await jsm.streams.getMessage(stream, { seq });
  if (m === null) return 0;
  try {
    return decodeMessage(m.data, `${stream} seq ${seq}`).publishedAt;
  } catch {
    return 0;
  }
}

/**
 * The oldest messages of the queue that were never delivered (seq above the consumer's
 * delivered seq), lowest seq first, at most `max`: no consumer holds them.
 */
export async function undelivered(
  jsm: JetStreamManager,
  q: JsQueue,
  consumer: string,
  max: number,
): Promise<Array<{ seq: number; data: Uint8Array }>> {
  const n = q.names;
  return admin('undelivered', async () => {
    const [stream, info] = await Promise.all([
      jsm.streams.info(n.stream),
      jsm.consumers.info(n.stream, consumer),
    ]);
    const out: Array<{ seq: number; data: Uint8Array }> = [];
    const last = stream.state.last_seq;
    // Bounded: deleted seqs in between are skipped, at most 4 x max reads.
    for (
      let seq = Math.max(info.delivered.stream_seq + 1, stream.state.first_seq), reads = 0;
      seq <= last && out.length < max && reads < 4 * max;
      seq++, reads++
    ) {
      const m = await jsm.streams.getMessage(n.stream, { seq });
      if (m !== null) out.push({ seq, data: m.data });
    }
    return out;
  });
}
