/**
 * Cache adapter: The cache tiers behind one small interface: a Redis the user named, a private embedded
 * redis-server, or (with no redis-server on the machine) an in-process map. The in-process tier is
 * always labelled as such: its numbers say nothing about Redis.
 */
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
  close(): Promise<void>;
}
