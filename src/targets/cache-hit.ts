/**
 * Targets: `cache`: a cache-aside HIT, as an application serves one: GET the category's key and decode the
 * JSON body. Setup fills every category of the sequence first (outside the measurement), under the
 * run's own key namespace (dataset fingerprint, table, column, run id) with the run's TTL.
 *
 * The hits are verified, not assumed: the client counts the GETs that returned a value, and the
 * server's INFO keyspace_hits must have risen by at least as many over the same stretch (other
 * clients of a shared Redis can only add to it). A GET that finds nothing is an error of the path
 * (the key expired or was evicted), never a silent database fallback.
 */
import { reportKey } from '../cache/report-cache.js';
import type { CacheStats, CacheTier } from '../cache/tier.js';
import type { Operation, Target } from '../measure/target.js';
import { fillReports } from './cache-fill.js';
import { verifyCacheOutcome } from './cache-check.js';
import type { BenchPath, PathContext, PathDefinition, RunFindings } from './path.js';

export interface CacheHitOptions {
  name?: string;
  /** JSON.parse the body as an app would (default). Off: the GET alone, as redis-benchmark times it. */
  decode?: boolean;
}

export function cacheHitPath(options: CacheHitOptions = {}): PathDefinition {
  const name = options.name ?? 'cache';
  const decode = options.decode ?? true;
  return {
    name,
    description: 'a Redis cache-aside hit: GET and JSON decode of the cached report',
    needsIndex: false,
    needsCache: true,
    create: (context) => createCacheHit(context, name, decode),
  };
}

function createCacheHit(context: PathContext, name: string, decode: boolean): BenchPath {
  const keys = new Map(context.sequence.names.map((category) => [category, reportKey(context.keyNamespace, category)]));
  let tier: CacheTier | undefined;
  let filled = false;
  let before: CacheStats = { hits: 0, misses: 0 };
  const seen = { gets: 0, hits: 0, misses: 0 };

  const run = async (op: Operation): Promise<void> => {
    const key = keys.get(op.category)!;
    seen.gets++;
    const body = await tier!.get(key);
    if (body === null) {
      seen.misses++;
      throw new Error(`cache miss on the hit path: ${key} expired or was evicted (raise --ttl for long runs)`);
    }
    seen.hits++;
    if (decode) JSON.parse(body.toString('utf8'));
  };

  return {
    name,
    kind: 'cache',
    target(): Target {
      return {
        name,
        kind: 'cache',
        async setup() {
          tier ??= await context.cache();
          if (!filled) {
            await fillReports(context, tier, keys);
            filled = true;
          }
          seen.gets = seen.hits = seen.misses = 0;
          before = await tier.stats();
        },
        run,
      };
    },
    async findings(): Promise<RunFindings> {
      if (!tier || !filled) return { notes: [], flags: [] };
      const findings: RunFindings = { notes: [], flags: [] };
      verifyCacheOutcome('hits', tier.label, seen, before, await tier.stats(), findings);
      return findings;
    },
    close: async () => undefined,
  };
}
