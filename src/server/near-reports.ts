/**
 * Server layer: the fast route's near tier: hot reports served from this process's memory, with no
 * Redis round trip, kept coherent by Redis's invalidations (cache/near-cache.ts, cache/tracking.ts).
 *
 * A report enters after a Redis HIT: the fill is begun before the GET is sent, the body answered at
 * once, and its entity tag and gzip/brotli encodings made off the event loop before it is stored (an
 * invalidation meanwhile voids it), with the key's expiry (PTTL), past which it is not served. A MISS is not stored: the route's own SET sends an invalidation
 * of the key (tracking is BCAST, without NOLOOP), so the next request reads it back from Redis and
 * stores that. While invalidations cannot arrive (Redis down, a connection dropped, the cache tier
 * has no tracking) nothing is served from memory: the route works as before.
 */
import type { ServerResponse } from 'node:http';
// Imported: the global `performance` is an accessor, looked up through an inline cache on every call.
import { performance } from 'node:perf_hooks';
import { expiryOf, NearCache, nearListener, type NearCacheStats, type NearFill } from '../cache/near-cache.js';
import type { CacheTier, Tracking } from '../cache/tier.js';
import { rawHeader } from './raw-headers.js';
import { acceptedEncodings, chooseEncoding, entityTag, notModified, represent, representationBytes, type Representation } from './representation.js';
import type { Replies } from './replies.js';
import { serverTimingHeader, totalOnlyTimingHeader, type TimingBreakdown } from './server-timing.js';

const KEY_MEMO_LIMIT = 10_000;
const NOT_IN_USE_AFTER_MS = 5_000;

export interface NearReportsDeps {
  cache: CacheTier;
  /** A category's cache key (the route's ReportCache.key). */
  key: (category: string) => string;
  /** The bound on the near cache's bytes (bodies, their encodings, keys). */
  maxBytes: number;
  /** The tracked key prefix (perfbench's own): every write under it is told. */
  prefix: string;
  replies: Replies;
  log: (line: string) => void;
}

/** The near tier of one server. */
export class NearReports {
  readonly near: NearCache<Representation>;
  private readonly tracking: Tracking | undefined;
  private startCheck: NodeJS.Timeout | undefined;
  private readonly replies: Replies;
  private readonly key: (category: string) => string;
  private readonly tier: CacheTier;
  /** category -> key: building a key percent-encodes the category, a cost on every near hit otherwise. */
  private readonly keys = new Map<string, string>();

  constructor(deps: NearReportsDeps) {
    this.replies = deps.replies;
    this.key = deps.key;
    this.tier = deps.cache;
    this.near = new NearCache<Representation>({ maxBytes: deps.maxBytes, sizeOf: representationBytes });
    if (!deps.cache.track) {
      deps.log(`near cache off: the ${deps.cache.label} tier sends no invalidations`);
      return;
    }
    let announced = false;
    let saidNotInUse = false;
    // Said once if the near cache is not in use a while after start (Redis down, or refusing CLIENT TRACKING).
    this.startCheck = setTimeout(() => {
      if (!this.near.isCoherent) {
        saidNotInUse = true;
        deps.log(`near cache not in use yet: ${this.tracking?.problem ?? 'no Redis invalidations so far'}; answering from Redis meanwhile`);
      }
    }, NOT_IN_USE_AFTER_MS);
    this.startCheck.unref();
    const tracking = deps.cache.track(deps.prefix, nearListener(this.near, (event, reason) => {
      // The first 'on' is the normal start; after that each change is worth a line (they are rare:
      // a connection drop and its recovery).
      if (event === 'tracking' && !announced) {
        announced = true;
        if (saidNotInUse) deps.log('near cache in use: Redis invalidations arrive');
      } else if (event === 'tracking') deps.log('near cache back: Redis invalidations arrive again');
      else if (announced) deps.log(`near cache dropped (${reason}): answering from Redis until invalidations arrive again`);
    }));
    this.tracking = tracking;
  }

  /** Whether near hits are possible now. */
  get coherent(): boolean {
    return this.near.isCoherent;
  }

  stats(): NearCacheStats {
    return this.near.stats();
  }

  /** The cache key of `category`, remembered (at most KEY_MEMO_LIMIT categories; then it starts over). */
  keyOf(category: string): string {
    let key = this.keys.get(category);
    if (key === undefined) {
      if (this.keys.size >= KEY_MEMO_LIMIT) this.keys.clear();
      key = this.key(category);
      this.keys.set(category, key);
    }
    return key;
  }

  /** Answers from memory when `key` is held (X-Cache: NEAR); false on a miss. Synchronous: no Redis, no await. */
  serve(res: ServerResponse, key: string, startedMs: number): boolean {
    const nowMs = performance.now();
    const representation = this.near.get(key, nowMs);
    if (representation === undefined) return false;
    const raw = res.req.rawHeaders;
    const { coding, encoded } = chooseEncoding(representation, acceptedEncodings(rawHeader(raw, 'accept-encoding')));
    const timing = totalOnlyTimingHeader(nowMs - startedMs);
    if (notModified(rawHeader(raw, 'if-none-match'), encoded.etag)) {
      this.replies.notModified(res, encoded.etag, 'NEAR', timing);
      return true;
    }
    this.replies.encoded(res, encoded.body, coding, encoded.etag, 'NEAR', timing);
    return true;
  }

  /** Before the route's cache-aside read of `key`: a fill, when the near cache may take the result. */
  begin(key: string): NearFill | undefined {
    return this.near.begin(key);
  }

  /**
   * After the read: a Redis HIT is stored once its encodings are made (unless an invalidation came
   * first); anything else ends the fill. `etag` is the body's tag, already computed for the answer.
   */
  settle(fill: NearFill | undefined, status: string, body: Buffer, etag: string): void {
    if (!fill) return;
    if (status !== 'HIT') {
      this.near.abandon(fill);
      return;
    }
    Promise.all([represent(body, etag), expiryOf(this.tier, fill.key)]).then(
      ([representation, expiresAtMs]) => (expiresAtMs === null ? this.near.abandon(fill) : this.near.commit(fill, representation, expiresAtMs)),
      () => this.near.abandon(fill),
    );
  }

  async close(): Promise<void> {
    clearTimeout(this.startCheck);
    await this.tracking?.close();
    this.near.disable();
  }
}

/**
 * A report the route read from Redis or the database (HIT, MISS, BYPASS): identity bytes, with its
 * entity tag, and a 304 when the client already holds them.
 */
export function sendReport(replies: Replies, res: ServerResponse, body: Buffer, status: string, timing: TimingBreakdown, etag = entityTag(body)): void {
  const header = serverTimingHeader(timing);
  if (notModified(rawHeader(res.req.rawHeaders, 'if-none-match'), etag)) replies.notModified(res, etag, status, header);
  else replies.encoded(res, body, 'identity', etag, status, header);
}

