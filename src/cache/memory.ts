/** Cache adapter: the in-process tier (a Map with TTLs), labelled as such, for machines without redis-server. */
import type { CacheServerInfo, CacheStats, CacheTier } from './tier.js';

/** The in-process tier: a Map with TTLs. Used only when no Redis is configured and no redis-server exists. */
export class MemoryCache implements CacheTier {
  readonly kind = 'in-process' as const;
  readonly label = 'in-process (no Redis)';
  private readonly entries = new Map<string, { value: Buffer; expiresAtMs: number }>();
  private readonly counters: CacheStats = { hits: 0, misses: 0 };

  constructor(private readonly nowMs: () => number = Date.now) {}

  async get(key: string): Promise<Buffer | null> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAtMs > this.nowMs()) {
      this.counters.hits++;
      return entry.value;
    }
    if (entry) this.entries.delete(key);
    this.counters.misses++;
    return null;
  }

  async set(key: string, value: Buffer | string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value: Buffer.from(value), expiresAtMs: this.nowMs() + ttlSeconds * 1000 });
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) deleted += Number(this.entries.delete(key));
    }
    return deleted;
  }

  async stats(): Promise<CacheStats> {
    return { ...this.counters };
  }

  async info(): Promise<CacheServerInfo> {
    let bytes = 0;
    for (const [key, entry] of this.entries) bytes += key.length + entry.value.length;
    return { version: `node ${process.versions.node}`, usedMemoryBytes: bytes, address: 'in-process' };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
