/** Targets: checks a cache path's hits or misses against the server's INFO counters. */
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
  const otherKind = expect === 'hits' ? 'misses' : 'hits';
  const server = expect === 'hits' ? serverHits : serverMisses;
  // Nouns agree with their counts ("1 hit", "1 miss", "1 GET").
  const word = (n: number, kind: 'hits' | 'misses') => (n !== 1 ? kind : kind === 'hits' ? 'hit' : 'miss');
  into.notes.push(`cache ${expect} not confirmed: the client saw ${wanted} ${word(wanted, expect)} and ${other} ${word(other, otherKind)} ` +
    `in ${seen.gets} GET${seen.gets === 1 ? '' : 's'}, the server counted ${server} keyspace ${word(server, expect)}`);
}
