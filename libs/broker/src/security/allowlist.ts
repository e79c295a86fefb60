import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { parseKeyList, readKeyText, type KeyListProblem } from '@zmq-mq/protocol';

/** Largest allowlist read (bytes): about 20,000 keys with names. */
export const MAX_ALLOWLIST_BYTES = 2 * 1024 * 1024;

/** After a change event, the file is read once this long has passed without another (ms). */
const RELOAD_SETTLE_MS = 50;

/** What one reading of an allowlist gave. */
export interface AllowlistReading {
  /** Keys allowed now. */
  keys: number;
  /** Lines left out, and why. */
  problems: KeyListProblem[];
}

/** What an allowlist tells whoever watches it. */
export interface AllowlistEvents {
  /** The file was read again and its keys changed (`added`, `removed` counts). */
  reloaded(reading: AllowlistReading & { added: number; removed: number }): void;
  /** The file could not be read: the keys read before stay in force. */
  failed(err: Error): void;
}

/**
 * The public keys one role may connect with, read from a key list (`parseKeyList`) and read
 * again whenever the file changes (or on `reload()`: the broker program's SIGUSR2), without a
 * restart: a key removed from the file is refused at its next connection. The directory is
 * watched (not the file), so that an editor or a deployment that replaces the file by renaming
 * a new one over it is seen too. A file that
 * cannot be read keeps the keys read before (`failed`); a line that is not a key is left out
 * (only that line is refused).
 */
export class Allowlist {
  private keys = new Map<string, string>();
  private digest = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Times the file was read with a change in force (the first reading included). */
  generation = 0;
  /** The last reading's problems. */
  problems: KeyListProblem[] = [];
  /** Readings that failed since start (the keys before stayed in force). */
  failures = 0;

  /** Reads `path` now; throws `KeyError` when it cannot be read. */
  constructor(readonly path: string) {
    this.read();
  }

  /** The name of `key` (Z85) when it is allowed, else undefined. */
  nameOf(key: string): string | undefined {
    return this.keys.get(key);
  }

  /** Keys allowed now. */
  get size(): number {
    return this.keys.size;
  }

  /** Starts reading the file again after each change, reporting to `events`. */
  watch(events: AllowlistEvents): void {
    if (this.watcher !== undefined) return;
    // Any change in the directory: a Kubernetes ConfigMap, say, swaps a `..data` symlink and
    // never names the file. The content's digest tells whether the keys changed.
    this.watcher = watch(dirname(this.path), { persistent: false }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(events), RELOAD_SETTLE_MS);
    });
    this.watcher.on('error', (err) => events.failed(err));
  }

  /** Reads the file again now (what a change does); reports like `watch`. */
  reload(events: AllowlistEvents): void {
    const before = this.keys;
    let changed: boolean;
    try {
      changed = this.read();
    } catch (err) {
      this.failures++;
      events.failed(err as Error);
      return;
    }
    if (!changed) return;
    let added = 0;
    for (const key of this.keys.keys()) if (!before.has(key)) added++;
    let removed = 0;
    for (const key of before.keys()) if (!this.keys.has(key)) removed++;
    events.reloaded({ keys: this.keys.size, problems: this.problems, added, removed });
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads the file; true when its content changed. Throws `KeyError`. */
  private read(): boolean {
    const text = readKeyText(this.path, MAX_ALLOWLIST_BYTES);
    const digest = createHash('sha256').update(text).digest('hex');
    if (digest === this.digest) return false;
    const list = parseKeyList(text);
    this.keys = new Map(list.entries.map((e) => [e.key, e.name]));
    this.problems = list.problems;
    this.digest = digest;
    this.generation++;
    return true;
  }
}
