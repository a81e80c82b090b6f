/**
 * Counts and their nouns agree in every report (issue 10 item 19: "1 misses"): one helper,
 * `counted`, and the lines that print a count of misses, hits, GETs, requests, bypasses or errors.
 */
import { describe, expect, it } from 'vitest';
import type { BenchResult, CacheCheck, PathResult } from '../../src/measure/result.js';
import { renderChecksText } from '../../src/report/bench-checks.js';
import { progressText } from '../../src/report/bench-progress.js';
import { counted } from '../../src/report/format.js';
import { describeSummary } from '../../src/report/serve-text.js';

describe('counted', () => {
  it.each<[number, string, string | undefined, string]>([
    [0, 'miss', 'misses', '0 misses'],
    [1, 'miss', 'misses', '1 miss'],
    [2, 'miss', 'misses', '2 misses'],
    [1, 'hit', undefined, '1 hit'],
    [1234, 'hit', undefined, '1,234 hits'],
    [1, 'bypass', 'bypasses', '1 bypass'],
  ])('%i %s', (n, noun, nouns, expected) => {
    expect(counted(n, noun, nouns)).toBe(expected);
  });
});

describe('reports say "1 miss", not "1 misses"', () => {
  const check = (over: Partial<CacheCheck>): CacheCheck => ({
    tier: 'redis 7.0.15', gets: 1, hits: 1, misses: 0, serverHits: 1, serverMisses: 0, verified: true, ...over,
  });
  const path = (name: string, cacheCheck: CacheCheck) => ({ name, concurrency: 1, trial: 1, cacheCheck }) as unknown as PathResult;

  it('in the cache checks of bench', () => {
    const result = { paths: [path('cache', check({})), path('miss', check({ hits: 0, misses: 1, serverHits: 0, serverMisses: 1 }))] } as unknown as BenchResult;
    expect(renderChecksText(result)).toContain('  cache  c=1: 1 GET, 1 hit; server keyspace_hits +1 · verified (redis 7.0.15)\n');
    expect(renderChecksText(result)).toContain('  miss   c=1: 1 GET, 1 miss; server keyspace_misses +1 · verified (redis 7.0.15)\n');
  });

  it("in serve's summary on stop", () => {
    expect(describeSummary({ url: 'http://127.0.0.1:1', requests: 1, slow: 0, fast: 1, cache: { hits: 1, misses: 1, bypasses: 1 } }))
      .toBe('stopped: 1 request (0 slow, 1 fast: 1 hit, 1 miss, 1 bypass)');
    expect(describeSummary({ url: 'http://127.0.0.1:1', requests: 0, slow: 0, fast: 0, cache: { hits: 0, misses: 0, bypasses: 0 } }))
      .toBe('stopped: 0 requests (0 slow, 0 fast: 0 hits, 0 misses, 0 bypasses)');
  });

  it("in bench's progress line", () => {
    const event = { target: 'seq', phase: 'measure', trial: 1, concurrency: 1, ops: 10, errors: 1, elapsedMs: 1000, opsPerSec: 10, p99Us: 1000 } as const;
    expect(progressText(event, { run: 1, runs: 1, trials: 1 })).toMatch(/ · 1 error$/);
  });
});
