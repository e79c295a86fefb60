import { TopicError } from './errors';

/** Longest topic, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 255;

/** Separator of topic segments by convention (`orders.created`). */
export const SEGMENT_SEPARATOR = '.';

// Unicode control characters (category Cc): C0, DEL and C1.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `topic` is not a valid topic, or undefined when it is. */
export function topicProblem(topic: string): string | undefined {
  if (typeof topic !== 'string') return 'must be a string';
  if (topic.length === 0) return 'must not be empty';
  if (!topic.isWellFormed()) return 'contains a lone surrogate (not encodable as UTF-8)';
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > MAX_TOPIC_BYTES) return `is ${bytes} UTF-8 bytes, the maximum is ${MAX_TOPIC_BYTES}`;
  if (topic.includes(' ')) return 'must not contain a space (it separates topic from payload)';
  const control = CONTROL.exec(topic);
  if (control) {
    const cp = control[0].codePointAt(0) ?? 0;
    return `contains control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/** True when `topic` is 1..255 UTF-8 bytes with no space and no control character. */
export function isValidTopic(topic: string): boolean {
  return topicProblem(topic) === undefined;
}

/** Throws `TopicError` naming the problem when `topic` is not valid. */
export function assertTopic(topic: string): void {
  const problem = topicProblem(topic);
  if (problem !== undefined) throw new TopicError(topic, problem);
}

/** The dotted segments of a topic: `orders.created` gives `['orders', 'created']`. */
export function topicSegments(topic: string): string[] {
  return topic.split(SEGMENT_SEPARATOR);
}

/**
 * A ZeroMQ subscription is a byte prefix of frame 0. `prefixSubscription('orders.')` matches
 * `orders.created` and `orders.deleted`; `prefixSubscription('')` matches everything, bare
 * frames included. The prefix may be any string without a space (it is not required to end
 * at a segment boundary: `ord` matches `orders` too).
 */
export function prefixSubscription(prefix: string): Buffer {
  if (prefix.includes(' ')) {
    throw new TopicError(prefix, 'a prefix subscription must not contain a space');
  }
  return Buffer.from(prefix, 'utf8');
}

/**
 * Subscription to one topic exactly: the topic followed by the separator, so `orders` does not
 * also match `orders.created`. A bare frame equal to the topic with no space does not match.
 */
export function exactSubscription(topic: string): Buffer {
  assertTopic(topic);
  return Buffer.from(`${topic} `, 'utf8');
}

/** Whether frame 0 is delivered to a subscription, by ZeroMQ's rule: a byte prefix match. */
export function matchesSubscription(frame: Uint8Array, subscription: Uint8Array): boolean {
  if (subscription.byteLength > frame.byteLength) return false;
  for (let i = 0; i < subscription.byteLength; i++) {
    if (frame[i] !== subscription[i]) return false;
  }
  return true;
}
