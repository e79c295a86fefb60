/**
 * How every store answers an append request it refuses: the same results and texts whatever
 * the engine.
 */
import type { QueueDefinition, QueueLimit } from './definition';
import type { AppendResult } from './types';

/** `queue NAME is full: LIMIT VALUE reached`, naming the queue and the limit. */
export function queueFull(def: QueueDefinition, limit: QueueLimit): AppendResult {
  const value = limit === 'maxMessages' ? def.maxMessages : def.maxBytes;
  return {
    status: 'rejected',
    reason: 'queue-full',
    queue: def.name,
    limit,
    text: `queue ${JSON.stringify(def.name)} is full: ${limit} ${value} reached`,
  };
}

/**
 * The queues a request names (each once, in order), or the rejection of the first one
 * `queues` does not hold.
 */
export function requestTargets<Q>(
  names: readonly string[],
  queues: ReadonlyMap<string, Q>,
): Q[] | AppendResult {
  const out: Q[] = [];
  for (const name of names) {
    const q = queues.get(name);
    if (q === undefined) {
      return {
        status: 'rejected',
        reason: 'unknown-queue',
        queue: name,
        text: `no queue named ${JSON.stringify(name)}`,
      };
    }
    if (!out.includes(q)) out.push(q);
  }
  return out;
}
