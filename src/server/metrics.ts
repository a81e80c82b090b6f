/**
 * Server layer: the serve mode's metrics: requests per route and status, a latency histogram per route, cache
 * outcomes and queries, rendered in the Prometheus text format (0.0.4) for `GET /metrics`.
 */
import type { NearCacheStats } from '../cache/near-cache.js';
import type { CacheStatus } from '../cache/report-cache.js';

/** How /report/fast answered: the cache-aside outcomes, and NEAR for a near-cache hit (no Redis round trip). */
export type FastOutcome = CacheStatus | 'NEAR';

/** The routes metrics are labelled with; every other path is `other`, so labels stay bounded. */
export const ROUTES = ['/report/slow', '/report/fast', '/healthz', '/metrics', 'other'] as const;
export type Route = (typeof ROUTES)[number];

/**
 * Latency histogram buckets, seconds. Fixed, as Prometheus needs for summing across instances:
 * 0.5 ms (a cache hit on loopback) to 10 s (a seq scan queued behind others).
 */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface RouteHistogram {
  /** Requests by status ('200', '499'…): one Map per route, so counting one costs no key building. */
  statuses: Map<string, number>;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  counts: number[];
  sumSeconds: number;
  count: number;
}

/** Gauges read at scrape time. */
export interface MetricGauges {
  inFlight: number;
  slowQueueDepth: number;
  databaseUp: boolean;
  /** The fast route's cache is `up` (reads and writes work), not `read-only` or `down`. */
  cacheUp: boolean;
  /** The fast route's near cache, when it has one. */
  near?: NearCacheStats;
}

/** Counters and histograms of one server. `render` is pure over them (Prometheus text format 0.0.4). */
export class ServerMetrics {
  private readonly histograms = new Map<Route, RouteHistogram>();
  readonly cache: Record<FastOutcome, number> = { NEAR: 0, HIT: 0, MISS: 0, BYPASS: 0 };
  readonly queries: Record<'slow' | 'fast', number> = { slow: 0, fast: 0 };

  constructor() {
    for (const route of ROUTES) {
      this.histograms.set(route, { statuses: new Map(), counts: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0), sumSeconds: 0, count: 0 });
    }
  }

  observeRequest(route: Route, status: string, seconds: number): void {
    const histogram = this.histograms.get(route)!;
    histogram.statuses.set(status, (histogram.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]!) bucket++;
    histogram.counts[bucket]!++;
    histogram.sumSeconds += seconds;
    histogram.count++;
  }

  /** Requests seen for a route and status (for tests and the shutdown summary). */
  requestCount(route: Route, status?: string): number {
    let total = 0;
    for (const [keyStatus, count] of this.histograms.get(route)!.statuses) {
      if (status === undefined || keyStatus === status) total += count;
    }
    return total;
  }

  render(gauges: MetricGauges): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    family('perfbench_http_requests_total', 'counter', 'HTTP requests answered, by route and status (499: the client went away first).');
    for (const route of ROUTES) {
      const statuses = this.histograms.get(route)!.statuses;
      for (const status of [...statuses.keys()].sort((a, b) => a.localeCompare(b))) {
        lines.push(`perfbench_http_requests_total{route="${label(route)}",status="${label(status)}"} ${statuses.get(status)}`);
      }
    }

    family('perfbench_http_request_duration_seconds', 'histogram', 'Time from request received to response finished, by route.');
    for (const route of ROUTES) {
      const histogram = this.histograms.get(route)!;
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += histogram.counts[i]!;
        lines.push(`perfbench_http_request_duration_seconds_bucket{route="${route}",le="${le}"} ${cumulative}`);
      });
      cumulative += histogram.counts[LATENCY_BUCKETS_SECONDS.length]!;
      lines.push(`perfbench_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${cumulative}`);
      lines.push(`perfbench_http_request_duration_seconds_sum{route="${route}"} ${histogram.sumSeconds}`);
      lines.push(`perfbench_http_request_duration_seconds_count{route="${route}"} ${histogram.count}`);
    }

    family('perfbench_report_cache_total', 'counter',
      'Fast-route reports by cache outcome (near: from this process\'s memory, no Redis round trip; bypass: the cache failed and the database answered).');
    for (const status of ['NEAR', 'HIT', 'MISS', 'BYPASS'] as const) {
      lines.push(`perfbench_report_cache_total{result="${status.toLowerCase()}"} ${this.cache[status]}`);
    }

    family('perfbench_db_queries_total', 'counter', 'Report queries sent to PostgreSQL, by route.');
    for (const route of ['slow', 'fast'] as const) lines.push(`perfbench_db_queries_total{route="/report/${route}"} ${this.queries[route]}`);

    family('perfbench_http_in_flight_requests', 'gauge', 'Requests being answered now.');
    lines.push(`perfbench_http_in_flight_requests ${gauges.inFlight}`);
    family('perfbench_slow_queue_depth', 'gauge', "Requests queued for or using the slow route's single connection.");
    lines.push(`perfbench_slow_queue_depth ${gauges.slowQueueDepth}`);
    family('perfbench_database_up', 'gauge', '1 unless the last database access failed for want of a connection.');
    lines.push(`perfbench_database_up ${gauges.databaseUp ? 1 : 0}`);
    family('perfbench_cache_up', 'gauge', '1 when the cache serves hits and stores misses; 0 while it is down or refuses writes (see /healthz).');
    lines.push(`perfbench_cache_up ${gauges.cacheUp ? 1 : 0}`);
    if (gauges.near) renderNear(gauges.near, family, lines);
    return `${lines.join('\n')}\n`;
  }
}

/** The near cache's state and what it was told (its counters are monotonic: counters here). */
function renderNear(near: NearCacheStats, family: (name: string, type: string, help: string) => void, lines: string[]): void {
  family('perfbench_near_cache_coherent', 'gauge', '1 while Redis invalidations arrive, so the near cache serves; 0 while it is dropped.');
  lines.push(`perfbench_near_cache_coherent ${near.coherent ? 1 : 0}`);
  family('perfbench_near_cache_bytes', 'gauge', 'Bytes the near cache holds (bodies, their encodings, keys), at most perfbench_near_cache_max_bytes.');
  lines.push(`perfbench_near_cache_bytes ${near.bytes}`);
  family('perfbench_near_cache_max_bytes', 'gauge', "The near cache's bound.");
  lines.push(`perfbench_near_cache_max_bytes ${near.maxBytes}`);
  family('perfbench_near_cache_entries', 'gauge', 'Reports the near cache holds.');
  lines.push(`perfbench_near_cache_entries ${near.entries}`);
  family('perfbench_near_cache_events_total', 'counter',
    'What the near cache did: stored, evicted (bound), invalidated (a key told by Redis), expired (past its key\'s TTL), voided (a fill overtaken by an invalidation), flushes, drops (coherence lost).');
  for (const event of ['stored', 'evicted', 'invalidated', 'expired', 'voided', 'flushes', 'drops'] as const) {
    lines.push(`perfbench_near_cache_events_total{event="${event}"} ${near[event]}`);
  }
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

