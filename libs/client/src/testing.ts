/**
 * Test helpers for code that uses the SDK: read a bounded number of items from an async
 * iterable with a deadline, wait for a condition with a deadline, and a stand-in for the
 * broker's reliable port.
 */

/**
 * The first `count` items of `source`, or rejects after `timeoutMs` with what arrived so far.
 * Stops reading (calls `return()` on the iterator) once done.
 */
export async function take<T>(
  source: AsyncIterable<T>,
  count: number,
  timeoutMs = 5000,
): Promise<T[]> {
  const items: T[] = [];
  if (count <= 0) return items;
  const iterator = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`timed out after ${timeoutMs} ms with ${items.length}/${count} items`)),
      timeoutMs,
    );
  });
  try {
    while (items.length < count) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done === true) break;
      items.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (items.length === count) void iterator.return?.();
  return items;
}

/** Polls `condition` every `intervalMs` until it is true; rejects after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs = 5000,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Things to close after a test: `track(x)` returns x; `closeAll()` closes in reverse order. */
export class Closer {
  private items: Array<{ close(): unknown }> = [];

  track<T extends { close(): unknown }>(item: T): T {
    this.items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    for (const item of this.items.splice(0).reverse()) await item.close();
  }
}

export { StandInBroker } from './stand-in-broker';
export type {
  PublishVerdict,
  StandInOptions,
  StandInQueue,
  StoredMessage,
  Received,
} from './stand-in-broker';
