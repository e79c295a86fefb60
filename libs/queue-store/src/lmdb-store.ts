import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineStore } from './engine';
import { StoreOptionError } from './errors';
import { LmdbJournal, type LmdbMetrics } from './lmdb-journal';
import type { StoreOptions } from './options';

/** The broker's default data directory. */
export const DEFAULT_DATA_DIR = './zmq-mq-data';

export interface LmdbStoreOptions extends StoreOptions {
  /** Directory of the LMDB environment (created if missing). */
  path: string;
  /**
   * lmdb-js overlappingSync: a transaction's flush runs while the next one is written.
   * Appends resolve only once flushed either way. Default false: measured faster at 100 B
   * (see README), and each commit then includes its fdatasync.
   */
  overlappingSync?: boolean;
  /** Keep lmdb-js metrics (transactions, sync time) for `metrics()`. Default false. */
  trackMetrics?: boolean;
}

/**
 * The durable store on LMDB: an append resolves once its transaction is flushed to disk
 * (fdatasync); everything else is rebuilt from disk at open.
 */
export class LmdbStore extends EngineStore<Buffer> {
  readonly path: string;
  private readonly lmdb: LmdbJournal;

  constructor(options: LmdbStoreOptions) {
    const { path, overlappingSync = false, trackMetrics = false, ...engine } = options ?? {};
    if (typeof path !== 'string' || path === '') {
      throw new StoreOptionError('path', path, 'must be a directory path');
    }
    if (typeof overlappingSync !== 'boolean') {
      throw new StoreOptionError('overlappingSync', overlappingSync, 'must be a boolean');
    }
    const journal = new LmdbJournal({ path, overlappingSync, trackMetrics: trackMetrics === true });
    super(journal, engine);
    this.path = path;
    this.lmdb = journal;
    journal.onFailure = (err) => this.fail(err);
  }

  /** lmdb-js figures (txns, timeSync, ...) when opened with trackMetrics. */
  metrics(): LmdbMetrics {
    return this.lmdb.metrics();
  }

  /** Size in bytes of the data file on disk (LMDB reuses freed pages; the file does not shrink). */
  diskBytes(): number {
    return statSync(join(this.path, 'data.mdb')).size;
  }
}
