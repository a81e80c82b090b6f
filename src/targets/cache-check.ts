import type { CacheStats } from '../cache/tier.js';
import type { CacheCheck, RunFindings } from './path.js';

/** What a cache path's client saw: GETs, and how many found a value or nothing. */
export interface SeenGets {
  gets: number;
  hits: number;
  misses: number;
}

/**
 * Checks the outcome a cache path expects (every GET a hit, or every GET a miss) against the
 * server's INFO keyspace counters over the same stretch. Other clients of a shared Redis can only
 * add to those counters, so the server must have counted at least what the client saw.
 */
export function verifyCacheOutcome(expect: 'hits' | 'misses', tierLabel: string, seen: SeenGets, before: CacheStats, after: CacheStats,
  into: RunFindings): void {
  const serverHits = after.hits - before.hits;
  const serverMisses = after.misses - before.misses;
  const verified = expect === 'hits'
    ? seen.misses === 0 && serverHits >= seen.hits
    : seen.hits === 0 && serverMisses >= seen.misses;
  const check: CacheCheck = { tier: tierLabel, ...seen, serverHits, serverMisses, verified };
  into.cacheCheck = check;
  if (verified) return;
  into.flags.push(`cache-${expect}-unverified`);
  const [wanted, other] = expect === 'hits' ? [seen.hits, seen.misses] : [seen.misses, seen.hits];
  const otherName = expect === 'hits' ? 'misses' : 'hits';
  into.notes.push(`cache ${expect} not confirmed: the client saw ${wanted} ${expect} and ${other} ${otherName} in ${seen.gets} GETs, ` +
    `the server counted ${expect === 'hits' ? serverHits : serverMisses} keyspace ${expect}`);
}
