import { EngineStore } from './engine';
import { MemoryJournal } from './journal';
import type { StoreOptions } from './options';
import type { StoredMessage } from './types';

/**
 * A store that keeps everything in memory: the same semantics as LmdbStore, nothing on disk,
 * so nothing survives the process. An append resolves at the end of its event-loop turn.
 * Closing and opening the same instance again keeps the contents (as a clean restart would:
 * leased messages come back as redeliveries).
 */
export class MemoryStore extends EngineStore<StoredMessage> {
  constructor(options: StoreOptions = {}) {
    super(new MemoryJournal(), options);
  }
}
