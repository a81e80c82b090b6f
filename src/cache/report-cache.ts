/** Cache adapter: cache-aside for a workload's report bodies, with versioned keys and single-flight. */
import { createHash } from 'node:crypto';
import type { CacheTier } from './tier.js';

/**
 * Cache-aside for the report: GET the key; on a miss run the query and SET it with a TTL.
 * Keys carry the dataset fingerprint, so a reseeded table never serves an old report, and a
 * prefix of perfbench's own, so a run can remove exactly the keys it wrote.
 */
export const KEY_PREFIX = 'perfbench:';
export const DEFAULT_TTL_SECONDS = 300;

/** How a report was served. BYPASS: the cache failed (e.g. Redis down) and the database answered. */
export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

export interface CachedReport {
  body: Buffer;
  status: CacheStatus;
  /** Time in the cache tier (GET and, on a miss, SET), ms. */
  cacheMs: number;
  /** Time in the database (misses and bypasses only), ms. */
  dbMs: number;
}

export interface ReportCacheOptions {
  tier: CacheTier;
  /** Dataset fingerprint plus table and column: the version part of every key. */
  namespace: string;
  ttlSeconds: number;
  /** Loads the report body from the database. */
  load: (category: string) => Promise<Buffer>;
  /**
   * Told the outcome of every GET and SET of the tier (the server's cache health follows them; see
   * server/cache-health.ts). Called on each operation, so it must be cheap.
   */
  onCacheEvent?: (operation: 'get' | 'set', ok: boolean, error?: Error) => void;
  nowMs?: () => number;
}

/**
 * A report's key. The value is percent-encoded, so a value holding `:` (a timestamp, `L:1`) can
 * never make two different (namespace, value) pairs collide; `cat-001` stays `cat-001`.
 */
export function reportKey(namespace: string, category: string): string {
  return `${KEY_PREFIX}report:v1:${namespace}:${encodeURIComponent(category)}`;
}

/**
 * The key of one statement's rows for one set of bound values (bench's workload cache path and
 * serve --workload's fast route): the text and the values hashed, so any statement and any value
 * make a key of one size.
 */
export function statementKey(namespace: string, text: string, values: readonly string[]): string {
  return reportKey(namespace, createHash('sha1').update(text).update('\u0000').update(JSON.stringify(values)).digest('hex'));
}

/** A key namespace from its parts (dataset version, table, column, run…), each percent-encoded for the same reason. */
export function keyNamespace(...parts: readonly string[]): string {
  return parts.map((part) => encodeURIComponent(part)).join(':');
}

export class ReportCache {
  /** Single-flight: concurrent misses of one key share one database query. */
  private readonly inFlight = new Map<string, Promise<CachedReport>>();
  private readonly nowMs: () => number;

  constructor(private readonly options: ReportCacheOptions) {
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  key(category: string): string {
    return reportKey(this.options.namespace, category);
  }

  async get(category: string): Promise<CachedReport> {
    const key = this.key(category);
    const started = this.nowMs();
    let cached: Buffer | null;
    try {
      cached = await this.options.tier.get(key);
      this.options.onCacheEvent?.('get', true);
    } catch (error) {
      this.options.onCacheEvent?.('get', false, error as Error);
      return this.bypass(category, started);
    }
    if (cached) return { body: cached, status: 'HIT', cacheMs: this.nowMs() - started, dbMs: 0 };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fill(key, category, this.nowMs() - started).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async fill(key: string, category: string, getMs: number): Promise<CachedReport> {
    const dbStarted = this.nowMs();
    const body = await this.options.load(category);
    const dbMs = this.nowMs() - dbStarted;
    const setStarted = this.nowMs();
    try {
      await this.options.tier.set(key, body, this.options.ttlSeconds);
      this.options.onCacheEvent?.('set', true);
    } catch (error) {
      this.options.onCacheEvent?.('set', false, error as Error);
      return { body, status: 'BYPASS', cacheMs: getMs, dbMs };
    }
    return { body, status: 'MISS', cacheMs: getMs + this.nowMs() - setStarted, dbMs };
  }

  private async bypass(category: string, started: number): Promise<CachedReport> {
    const cacheMs = this.nowMs() - started;
    const dbStarted = this.nowMs();
    const body = await this.options.load(category);
    return { body, status: 'BYPASS', cacheMs, dbMs: this.nowMs() - dbStarted };
  }
}
