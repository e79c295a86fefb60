/**
 * Waiting in tests, for every package of the repository: each wait has a deadline and a
 * timed-out wait rejects (the test fails) naming what it waited for, never goes on silently.
 */

/** Milliseconds a wait lasts unless told otherwise. */
export const DEFAULT_WAIT_MS = 5000;

/** How often `waitFor` checks its condition, in ms. */
const POLL_INTERVAL_MS = 10;

/** What a wait is for: a text, or a function giving one when the wait fails (e.g. output so far). */
export type WaitSubject = string | (() => string);

function describe(what: WaitSubject): string {
  return typeof what === 'string' ? what : what();
}

/**
 * Checks `condition` (which may be async) every 10 ms until it holds; rejects after `timeoutMs`
 * with `timed out after <ms> ms waiting for <what>`. For a condition that polling alone can
 * see, such as a counter; where an event says it, await the event instead (`nextEvent`).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_WAIT_MS,
  what: WaitSubject = 'a condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * `promise`'s outcome, or a rejection after `timeoutMs` naming `what`. The timer is cleared
 * either way, so no handle outlives the wait.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs = DEFAULT_WAIT_MS,
  what: WaitSubject = 'a promise',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Beats the slow joiner: calls `probe(n)` every `intervalMs` (n = 0, 1, …) until `arrived()`
 * holds, so that every later message is known to get through; resolves with the number of
 * probes sent. Rejects after `timeoutMs`. The pause between probes paces them; the wait itself
 * ends on what arrived.
 */
export async function probeUntil(
  probe: (n: number) => Promise<void> | void,
  arrived: () => boolean,
  { intervalMs = 20, timeoutMs = 10000 } = {},
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (!arrived()) {
    if (Date.now() > deadline) throw new Error(`no probe arrived within ${timeoutMs} ms`);
    await probe(n++);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return n;
}

/** What `nextEvent` reads: a zeromq socket's event observer (`socket.events`), or alike. */
export interface EventSource<E extends { type: string }> {
  receive(): Promise<E>;
}

/**
 * The next event of type `type` from a socket's event observer (`socket.events` of zeromq:
 * `accept`, `handshake`, `close`, …), skipping others; rejects after `timeoutMs`. The observer
 * has one reader at a time: use it on a test's own sockets, not on an SDK object's.
 */
export async function nextEvent<E extends { type: string }>(
  events: EventSource<E>,
  type: E['type'],
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<E> {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const left = deadline - Date.now();
    const event = await withTimeout(
      events.receive(),
      Math.max(left, 0),
      () => `a socket event "${type}" (saw: ${seen.join(', ') || 'none'})`,
    );
    if (event.type === type) return event;
    seen.push(event.type);
  }
}

/**
 * The first `count` items of `source`, or rejects after `timeoutMs` with how many arrived.
 * Stops reading (calls `return()` on the iterator) once done.
 */
export async function take<T>(
  source: AsyncIterable<T>,
  count: number,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T[]> {
  const items: T[] = [];
  if (count <= 0) return items;
  const iterator = source[Symbol.asyncIterator]();
  const reading = (async () => {
    while (items.length < count) {
      const next = await iterator.next();
      if (next.done === true) break;
      items.push(next.value);
    }
  })();
  await withTimeout(reading, timeoutMs, () => `${count} items (${items.length} arrived)`);
  if (items.length === count) void iterator.return?.();
  return items;
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
