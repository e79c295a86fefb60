/**
 * Where a queue lives in JetStream. Every name starts with the store's namespace, so several
 * deployments (or tests) can share one NATS cluster:
 *
 *   work stream   NS_q_ENC     subject NS.q.ENC         work-queue retention, consumer NS-workers
 *   dead letters  NS_dead_ENC  subjects NS.dead.ENC.SEQ  limits retention, one subject per message
 *   definitions   NS_queues    subjects NS.def.ENC      the last definition of each queue
 *   readiness     -            subject NS.ready.ENC     core NATS: "this queue has messages"
 *
 * ENC is the queue name with `_` written `__` and `.` written `_d` (queue names allow `.`,
 * which JetStream stream names and subject tokens do not).
 */

/** The namespace's own names (not per queue). */
export interface NamespaceNames {
  definitions: string;
  definitionSubjects: string;
  consumer: string;
  /** The max-deliveries advisories of every queue of the namespace. */
  maxDeliveriesAdvisories: string;
  /** Queue group of the brokers handling those advisories (one handles each). */
  deadLetterGroup: string;
  readySubjects: string;
  /** The queue-name part of a readiness subject, or undefined. */
  queueOfReadySubject(subject: string): string | undefined;
}

export interface QueueNames {
  stream: string;
  subject: string;
  deadStream: string;
  deadSubjects: string;
  deadSubject(seq: number): string;
  definitionSubject: string;
  readySubject: string;
}

/** 1..32 characters of `[A-Za-z0-9_-]`. */
export const NAMESPACE_RE = /^[A-Za-z0-9_-]{1,32}$/;

export function encodeQueueName(name: string): string {
  return name.replace(/_/g, '__').replace(/\./g, '_d');
}

export function decodeQueueName(encoded: string): string {
  return encoded.replace(/_(_|d)/g, (_, c: string) => (c === '_' ? '_' : '.'));
}

export function namespaceNames(ns: string): NamespaceNames {
  const ready = `${ns}.ready.`;
  return {
    definitions: `${ns}_queues`,
    definitionSubjects: `${ns}.def.*`,
    consumer: `${ns}-workers`,
    maxDeliveriesAdvisories: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*.${ns}-workers`,
    deadLetterGroup: `${ns}-dead-letters`,
    readySubjects: `${ready}*`,
    queueOfReadySubject: (subject) =>
      subject.startsWith(ready) ? decodeQueueName(subject.slice(ready.length)) : undefined,
  };
}

export function queueNames(ns: string, name: string): QueueNames {
  const enc = encodeQueueName(name);
  return {
    stream: `${ns}_q_${enc}`,
    subject: `${ns}.q.${enc}`,
    deadStream: `${ns}_dead_${enc}`,
    deadSubjects: `${ns}.dead.${enc}.*`,
    deadSubject: (seq) => `${ns}.dead.${enc}.${seq}`,
    definitionSubject: `${ns}.def.${enc}`,
    readySubject: `${ns}.ready.${enc}`,
  };
}

/** The original seq of a dead letter from its subject (the last token), or undefined. */
export function seqOfDeadSubject(subject: string): number | undefined {
  const n = Number(subject.slice(subject.lastIndexOf('.') + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
