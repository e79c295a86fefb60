/**
 * Options every store built on the shared engine takes (MemoryStore, LmdbStore).
 */
import { StoreOptionError } from './errors';

export interface StoreOptions {
  /** Deliveries of one message before it is dead-lettered ('max-deliveries'); 1..250. */
  maxDeliveries?: number;
  /** How long (ms) an append's dedup id keeps a later append with the same id out. */
  dedupWindowMs?: number;
  /** Dedup ids remembered at most; past it the oldest are forgotten early (counted). */
  dedupMaxIds?: number;
  /** Period (ms) of the housekeeping timer: dedup pruning and the maxAgeMs sweep. */
  maintenanceIntervalMs?: number;
  /** Frame bytes of one queue's messages written under one key (a chunk); a bigger turn makes several chunks. */
  chunkBytes?: number;
  /** Frame bytes of appended messages kept in memory until their first lease (saves reading them back). */
  cacheBytes?: number;
}

export interface ResolvedStoreOptions {
  maxDeliveries: number;
  dedupWindowMs: number;
  dedupMaxIds: number;
  maintenanceIntervalMs: number;
  chunkBytes: number;
  cacheBytes: number;
}

export const DEFAULT_MAX_DELIVERIES = 5;
/** The highest maxDeliveries: a delivery count is kept in one byte per message. */
export const MAX_MAX_DELIVERIES = 250;
/** 2 minutes, in ms. */
export const DEFAULT_DEDUP_WINDOW_MS = 120_000;
/** About 1 GiB of memory at the ~100 bytes an id takes (measured, see README). */
export const DEFAULT_DEDUP_MAX_IDS = 10_000_000;
/** In ms. */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 1_000;
/** 64 KiB. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** 64 MiB. */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** An integer option in min..max, or `fallback` when absent; throws StoreOptionError naming it. */
export function int(
  input: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = input[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StoreOptionError(name, value, `must be an integer in ${min}..${max}`);
  }
  return value;
}

/** Validates the engine options and fills the defaults; throws StoreOptionError naming the bad one. */
export function parseStoreOptions(input: StoreOptions = {}): ResolvedStoreOptions {
  const rec = input as Record<string, unknown>;
  return {
    maxDeliveries: int(rec, 'maxDeliveries', DEFAULT_MAX_DELIVERIES, 1, MAX_MAX_DELIVERIES),
    dedupWindowMs: int(rec, 'dedupWindowMs', DEFAULT_DEDUP_WINDOW_MS, 1, 2 ** 31 - 1),
    dedupMaxIds: int(rec, 'dedupMaxIds', DEFAULT_DEDUP_MAX_IDS, 1, 2 ** 31 - 1),
    maintenanceIntervalMs: int(
      rec,
      'maintenanceIntervalMs',
      DEFAULT_MAINTENANCE_INTERVAL_MS,
      1,
      2 ** 31 - 1,
    ),
    chunkBytes: int(rec, 'chunkBytes', DEFAULT_CHUNK_BYTES, 1, 2 ** 30),
    cacheBytes: int(rec, 'cacheBytes', DEFAULT_CACHE_BYTES, 0, Number.MAX_SAFE_INTEGER),
  };
}
