/**
 * Targets: Fills the cache with the report of every category a run can ask for, outside any measurement:
 * a handful of multi-category queries (not one report query per category: with the table in its
 * slow state that would be a Seq Scan per category) and pipelined SETs.
 */
import type { CacheTier } from '../cache/tier.js';
import { eachWorkloadBody } from '../db/bench-queries.js';
import type { PathContext } from './path.js';
import { readEndpoints } from './routed-connections.js';

const CATEGORIES_PER_QUERY = 20;

/** Writes `keys` (category -> key) with their report bodies; returns the bytes written. */
export async function fillReports(context: PathContext, tier: CacheTier, keys: ReadonlyMap<string, string>): Promise<number> {
  const categories = [...keys.keys()];
  // Filling reads the reports: with replicas (bench --replica-url), from the first one.
  const client = await readEndpoints(context)[0]!.connect();
  let bytes = 0;
  try {
    for (let from = 0; from < categories.length; from += CATEGORIES_PER_QUERY) {
      if (context.signal.aborted) throw new Error('interrupted while filling the cache');
      // Each body is SET as soon as it is made: the query's rows are never all alive at once.
      const writes: Promise<void>[] = [];
      try {
        await eachWorkloadBody(client, context.workload, categories.slice(from, from + CATEGORIES_PER_QUERY), (category, body) => {
          bytes += body.length;
          const write = tier.set(keys.get(category)!, body, context.ttlSeconds);
          // Handled now, while the query still runs (a failure is not "unhandled"); Promise.all below rethrows it.
          write.catch(() => undefined);
          writes.push(write);
        });
      } finally {
        // Also when the query failed: the SETs already sent land before the caller removes the run's keys.
        await Promise.allSettled(writes);
      }
      await Promise.all(writes);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return bytes;
}
