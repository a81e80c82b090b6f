/**
 * Cache adapter: The cache tiers behind one small interface: a Redis the user named, a private embedded
 * redis-server, or (with no redis-server on the machine) an in-process map. The in-process tier is
 * always labelled as such: its numbers say nothing about Redis.
 */
import type { GetChannel } from './get-channel.js';

export type CacheKind = 'redis' | 'embedded-redis' | 'in-process';

export interface CacheStats {
  hits: number;
  misses: number;
}

export interface CacheServerInfo {
  version: string;
  usedMemoryBytes: number;
  /** e.g. "redis://127.0.0.1:6379/0", password masked. */
  address: string;
  /** A Redis Cluster: its state and masters (absent for one server). */
  cluster?: CacheClusterInfo;
}

export interface CacheClusterInfo {
  /** CLUSTER INFO's cluster_state (`ok`, `fail`) and cluster_slots_ok, as a master tells them. */
  state: string;
  slotsOk: number;
  /** Each master as its own INFO tells it, by address. */
  masters: CacheNodeInfo[];
}

/** One master of a Redis Cluster. */
export interface CacheNodeInfo {
  /** host:port */
  address: string;
  version: string;
  usedMemoryBytes: number;
  /** Keys in its keyspace. */
  keys: number;
  hits: number;
  misses: number;
  /** Its replicas in sync (INFO connected_slaves). */
  replicas: number;
}

export interface CacheTier {
  readonly kind: CacheKind;
  /** A label for tables and logs, e.g. "redis 7.0.15" or "in-process (no Redis)". */
  readonly label: string;
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer | string, ttlSeconds: number): Promise<void>;
  /** Deletes every key that starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Server-wide keyspace hits and misses (Redis INFO stats), for verifying cache hits by delta. */
  stats(): Promise<CacheStats>;
  info(): Promise<CacheServerInfo>;
  /**
   * The key's remaining time to live, ms: null when the key is gone, Infinity when it has none.
   * A near cache stores a value only until Redis would expire it (an expiry is told only once Redis
   * actually deletes the key, which may be later).
   */
  ttlMs?(key: string): Promise<number | null>;
  /**
   * Server-assisted invalidation (Redis CLIENT TRACKING) of the keys under `prefix`, told to
   * `listener`, for a near cache in front of this tier. Absent when the tier cannot offer it (the
   * in-process tier).
   */
  track?(prefix: string, listener: InvalidationListener): Tracking;
  /** Redis tiers: a GET-only connection of its own, lean enough to time Redis rather than the client (get-channel.ts). */
  openGetChannel?(): Promise<GetChannel | undefined>;
  /**
   * `bench --shard … --barrier`: counts this process in at the barrier `key` and waits until
   * `parties` processes have, up to `timeoutMs`. Absent when the tier is not shared between
   * processes (the in-process tier).
   */
  meet?(key: string, parties: number, timeoutMs: number, signal?: AbortSignal): Promise<BarrierOutcome>;
  close(): Promise<void>;
}

/** How waiting at a barrier ended, with the count of parties seen. */
export interface BarrierOutcome {
  outcome: 'open' | 'timeout' | 'overfull' | 'aborted';
  arrived: number;
}

/** What a near cache is told by the tier's invalidation channel. */
export interface InvalidationListener {
  /** Invalidations arrive from now on: every later write of a key under the prefix is told. */
  tracking(): void;
  /** These keys (under the prefix) were written, deleted, expired or evicted. */
  invalidate(keys: readonly string[]): void;
  /** The server's keyspace was flushed (FLUSHALL / FLUSHDB): any key may have changed. */
  flush(): void;
  /** Invalidations can no longer arrive (a connection dropped): trust nothing until `tracking` again. */
  lost(reason: string): void;
}

/** A listener's registration with the tier's invalidation channel. */
export interface Tracking {
  /** Invalidations arrive now (the listener was told `tracking` and not `lost` since). */
  readonly active: boolean;
  /** Why invalidations do not arrive now (a connection down, CLIENT TRACKING refused…), when known. */
  readonly problem: string | undefined;
  /**
   * Resolves once every write made before the call has been told, with how long that took: a
   * write of a key of its own under the prefix, waited for on the invalidation channel. Rejects
   * after `timeoutMs`, or when tracking is or becomes inactive.
   */
  sync(timeoutMs: number): Promise<number>;
  /** Unregisters; the last one out turns tracking off. Idempotent. */
  close(): Promise<void>;
}
