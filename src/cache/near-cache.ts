/**
 * Cache adapter: the near cache, an in-process tier in front of Redis: least recently used entries
 * go first once the entries' bytes would pass a bound. Pure: it is kept coherent from outside, by
 * the invalidations Redis sends (CLIENT TRACKING, tracking.ts), and it trusts nothing while those
 * cannot arrive.
 *
 * The race it closes: a value read from Redis can be stale by the time it lands here, when another
 * client wrote the key after Redis answered the GET and the invalidation (which travels on another
 * connection) overtook the GET's reply. So a value enters only through a fill (`begin` before the
 * read is sent, `commit` with what it returned), and an invalidation of the key, a flush or a loss of
 * coherence between the two voids the fill: it is then not stored. An invalidation that arrives
 * after the commit evicts the entry. Either way, once the invalidation of a write has arrived, no
 * value read before that write is served.
 */

import type { CacheTier, InvalidationListener } from './tier.js';

/** Bytes counted for every entry on top of its key and value: the map slot and entry object, roughly. */
export const ENTRY_OVERHEAD_BYTES = 96;

export interface NearCacheOptions<V> {
  /** The bound on the accounted bytes (keys, values and per-entry overhead). */
  maxBytes: number;
  /** The bytes a value holds (a body and its encoded variants). */
  sizeOf: (value: V) => number;
  /** The clock entries expire by, ms (default performance.now). */
  nowMs?: () => number;
}

/** What the near cache did since it was made (monotonic counters) and holds now. */
export interface NearCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  /** Lookups answered from memory / not. */
  hits: number;
  misses: number;
  /** Values stored by a fill. */
  stored: number;
  /** Fills voided by an invalidation, a flush or a loss of coherence before their value arrived. */
  voided: number;
  /** Values too large for the bound, never stored. */
  tooLarge: number;
  /** Entries found past the expiry Redis gave their key, dropped on lookup. */
  expired: number;
  /** Entries evicted to stay within the bound. */
  evicted: number;
  /** Invalidation messages received, and the entries they removed. */
  invalidations: number;
  invalidated: number;
  /** Flushes told (FLUSHALL / FLUSHDB). */
  flushes: number;
  /** Times coherence was lost (a connection dropped): everything dropped each time. */
  drops: number;
  /** Whether invalidations are arriving, so the cache is in use. */
  coherent: boolean;
}

/**
 * A fill in progress, from before the read of its key until `commit` or `abandon`. Voided by an
 * invalidation of its key, a flush or a loss of coherence meanwhile.
 */
export interface NearFill {
  readonly key: string;
  voided: boolean;
}

/** An entry, linked in recency order: `prev` is older, `next` newer. */
interface Entry<V> {
  key: string;
  value: V;
  bytes: number;
  /** When Redis expires the key (nowMs clock); Infinity: never. */
  expiresAtMs: number;
  prev: Entry<V> | undefined;
  next: Entry<V> | undefined;
}

export class NearCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /**
   * Recency as a doubly linked list (oldest first): a hit relinks two pointers. Re-inserting into
   * the Map instead (delete, then set) costs a rehash of its table every few hits of a hot key, and
   * made the lookup the largest cost of a near hit.
   */
  private oldest: Entry<V> | undefined;
  private newest: Entry<V> | undefined;
  /** At most one fill per key: concurrent misses of a key fill it once (the others just miss). */
  private readonly fills = new Map<string, NearFill>();
  private bytes = 0;
  private coherent = false;
  private readonly counters = { hits: 0, misses: 0, stored: 0, voided: 0, tooLarge: 0, expired: 0, evicted: 0, invalidations: 0, invalidated: 0, flushes: 0, drops: 0 };
  private readonly nowMs: () => number;

  constructor(private readonly options: NearCacheOptions<V>) {
    if (!(options.maxBytes >= 0)) throw new RangeError(`near cache bound must be >= 0 bytes, got ${options.maxBytes}`);
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** True while invalidations arrive: only then are entries served or stored. */
  get isCoherent(): boolean {
    return this.coherent;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * The value of `key`, now the most recently used; undefined on a miss (and while not coherent).
   * `nowMs`: the caller's reading of the clock, if it has one.
   */
  get(key: string, nowMs?: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.counters.misses++;
      return undefined;
    }
    // Redis expires a key at its TTL, but tells it only when it deletes it (on access, or when its
    // expiry cycle gets to it): the entry keeps the expiry Redis gave, so it is never served longer.
    if (entry.expiresAtMs !== Infinity && entry.expiresAtMs <= (nowMs ?? this.nowMs())) {
      this.remove(key);
      this.counters.expired++;
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry.value;
  }

  /** Whether `key` is held, without touching its recency or the counters. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Starts a fill of `key`: call it before the read of the key is sent. Undefined while not
   * coherent, or when a fill of the key is already under way.
   */
  begin(key: string): NearFill | undefined {
    if (!this.coherent || this.fills.has(key)) return undefined;
    const fill: NearFill = { key, voided: false };
    this.fills.set(key, fill);
    return fill;
  }

  /**
   * Stores the value the fill read, unless the fill was voided; returns whether it was stored.
   * `expiresAtMs` (nowMs clock): when Redis expires the key; default never.
   */
  commit(fill: NearFill, value: V, expiresAtMs = Infinity): boolean {
    this.release(fill);
    if (fill.voided || !this.coherent) {
      this.counters.voided++;
      return false;
    }
    const bytes = Buffer.byteLength(fill.key) + this.options.sizeOf(value) + ENTRY_OVERHEAD_BYTES;
    this.remove(fill.key);
    if (bytes > this.options.maxBytes) {
      this.counters.tooLarge++;
      return false;
    }
    while (this.bytes + bytes > this.options.maxBytes) {
      this.remove(this.oldest!.key);
      this.counters.evicted++;
    }
    const entry: Entry<V> = { key: fill.key, value, bytes, expiresAtMs, prev: undefined, next: undefined };
    this.entries.set(fill.key, entry);
    this.append(entry);
    this.bytes += bytes;
    this.counters.stored++;
    return true;
  }

  /** Ends a fill without a value (the read failed, or found nothing to keep). */
  abandon(fill: NearFill): void {
    this.release(fill);
  }

  /** Keys changed in Redis: their entries go, and fills under way for them are voided. */
  invalidate(keys: Iterable<string>): void {
    this.counters.invalidations++;
    for (const key of keys) {
      if (this.remove(key)) this.counters.invalidated++;
      const fill = this.fills.get(key);
      if (fill) {
        fill.voided = true;
        this.fills.delete(key);
      }
    }
  }

  /** Redis was flushed: every entry and fill goes; the cache stays in use. */
  flush(): void {
    this.counters.flushes++;
    this.dropAll();
  }

  /** Invalidations arrive from now on: the cache is used again (it starts empty). */
  enable(): void {
    this.dropAll();
    this.coherent = true;
  }

  /** Invalidations can no longer arrive: everything goes, and nothing is served or stored until `enable`. */
  disable(): void {
    if (this.coherent) this.counters.drops++;
    this.coherent = false;
    this.dropAll();
  }

  stats(): NearCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, maxBytes: this.options.maxBytes, ...this.counters, coherent: this.coherent };
  }

  /** The keys from least to most recently used (for tests and diagnostics). */
  keys(): string[] {
    const keys: string[] = [];
    for (let entry = this.oldest; entry; entry = entry.next) keys.push(entry.key);
    return keys;
  }

  private release(fill: NearFill): void {
    if (this.fills.get(fill.key) === fill) this.fills.delete(fill.key);
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.unlink(entry);
    this.bytes -= entry.bytes;
    return true;
  }

  private unlink(entry: Entry<V>): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.oldest = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.newest = entry.prev;
    entry.prev = entry.next = undefined;
  }

  private append(entry: Entry<V>): void {
    entry.prev = this.newest;
    if (this.newest) this.newest.next = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private dropAll(): void {
    this.entries.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
    for (const fill of this.fills.values()) fill.voided = true;
    this.fills.clear();
  }
}

/**
 * The listener that keeps `near` coherent with a tier's invalidation channel: invalidations evict,
 * a flush drops everything, a loss stops the cache until tracking is back. `told` hears the two
 * state changes (for a log line).
 */
export function nearListener<V>(near: NearCache<V>, told?: (event: 'tracking' | 'lost', reason?: string) => void): InvalidationListener {
  return {
    tracking: () => {
      near.enable();
      told?.('tracking');
    },
    invalidate: (keys) => near.invalidate(keys),
    flush: () => near.flush(),
    lost: (reason) => {
      near.disable();
      told?.('lost', reason);
    },
  };
}

/**
 * `bytes` in memory of its own, exactly its size: a value kept for long must not hold on to more
 * than it counts. Redis replies are views into the socket's read chunk (up to 64 kB for a 1 kB
 * report), and small Buffers are carved from node's shared 8 kB pool.
 */
export function ownBytes(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

/**
 * A read through the near cache: from memory when held; else from the tier, and what the tier
 * returned is kept (when no invalidation of the key arrived meanwhile). A tier error is thrown.
 */
export async function readThrough(near: NearCache<Buffer>, tier: CacheTier, key: string): Promise<{ value: Buffer | null; near: boolean }> {
  const held = near.get(key);
  if (held !== undefined) return { value: held, near: true };
  const fill = near.begin(key);
  let value: Buffer | null;
  try {
    value = await tier.get(key);
  } catch (error) {
    if (fill) near.abandon(fill);
    throw error;
  }
  if (fill) {
    if (value === null) near.abandon(fill);
    else {
      const expiresAtMs = await expiryOf(tier, key).catch(() => null);
      if (expiresAtMs === null) near.abandon(fill);
      else near.commit(fill, ownBytes(value), expiresAtMs);
    }
  }
  return { value, near: false };
}

/**
 * When the tier expires `key`, on the performance.now clock: asked after the value was read, so a
 * little early, never late. Null when the key is gone; Infinity when it has no expiry (or the tier
 * cannot say).
 */
export async function expiryOf(tier: CacheTier, key: string): Promise<number | null> {
  if (!tier.ttlMs) return Infinity;
  const asked = performance.now();
  const ttl = await tier.ttlMs(key);
  return ttl === null ? null : asked + ttl;
}
