import type { QueueDefinition } from '@zmq-mq/queue-store';

/** Topics whose queues `matchTopic` remembers at most. */
const MAX_CACHED_TOPICS = 10_000;

interface Entry {
  readonly name: string;
  readonly prefixes: readonly Buffer[];
  /** One of the prefixes is empty: every topic. */
  readonly all: boolean;
}

/**
 * The declared queues and which of them a message goes to: a queue takes a message when frame
 * 0 starts with one of its prefixes (byte prefixes, as subscriptions; a prefix holds no space,
 * so this is the same as matching the topic).
 */
export class QueueIndex {
  private entries: Entry[] = [];
  /**
   * Queues by topic, as `match` found them (undefined: none), until the queues change. Bounded:
   * cleared past MAX_CACHED_TOPICS.
   */
  private readonly byTopic = new Map<string, string[] | undefined>();
  private readonly defs = new Map<string, QueueDefinition>();
  /** Confirmed publishes stored per queue (the store counts everything else). */
  private readonly confirmedCounts = new Map<string, number>();

  /** Adds a queue, or replaces its definition. */
  set(def: QueueDefinition): void {
    this.defs.set(def.name, def);
    if (!this.confirmedCounts.has(def.name)) this.confirmedCounts.set(def.name, 0);
    const entry: Entry = {
      name: def.name,
      prefixes: def.prefixes.map((p) => Buffer.from(p, 'utf8')),
      all: def.prefixes.includes(''),
    };
    const at = this.entries.findIndex((e) => e.name === def.name);
    this.entries = at < 0 ? [...this.entries, entry] : this.entries.with(at, entry);
    this.byTopic.clear();
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  get size(): number {
    return this.entries.length;
  }

  definition(name: string): QueueDefinition | undefined {
    return this.defs.get(name);
  }

  definitions(): QueueDefinition[] {
    return [...this.defs.values()];
  }

  /** Confirmed publishes stored in the queue since the broker started. */
  confirmed(name: string): number {
    return this.confirmedCounts.get(name) ?? 0;
  }

  /**
   * The queues that take a message of `topic` (its frame 0 is `frame0`): `match`, remembered
   * per topic. The list returned is shared: read it, never change it.
   */
  matchTopic(topic: string, frame0: Buffer): string[] | undefined {
    const known = this.byTopic.get(topic);
    if (known !== undefined || this.byTopic.has(topic)) return known;
    const queues = this.match(frame0);
    if (this.byTopic.size >= MAX_CACHED_TOPICS) this.byTopic.clear();
    this.byTopic.set(topic, queues);
    return queues;
  }

  /** The names of the queues that take a message whose frame 0 is `frame0`; undefined for none. */
  match(frame0: Buffer): string[] | undefined {
    let out: string[] | undefined;
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.all || startsWithAny(frame0, e.prefixes)) (out ??= []).push(e.name);
    }
    return out;
  }

  /** Counts a confirmed publish stored in each of `queues`. */
  countConfirmed(queues: readonly string[]): void {
    for (const q of queues) {
      const n = this.confirmedCounts.get(q);
      if (n !== undefined) this.confirmedCounts.set(q, n + 1);
    }
  }
}

function startsWithAny(frame: Buffer, prefixes: readonly Buffer[]): boolean {
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i] as Buffer;
    const n = p.length;
    if (n > frame.length) continue;
    let k = 0;
    while (k < n && frame[k] === p[k]) k++;
    if (k === n) return true;
  }
  return false;
}
