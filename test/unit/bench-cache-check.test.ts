import { describe, expect, it } from 'vitest';
import type { RunFindings } from '../../src/targets/path.js';
import { verifyCacheOutcome } from '../../src/targets/cache-check.js';
import { ExitCode } from '../../src/errors.js';
import { compareResult } from '../../src/measure/compare.js';
import { benchVerdict, type BenchOutcome } from '../../src/usecases/bench.js';
import { pathOf, resultOf } from './bench-helpers.js';

const empty = (): RunFindings => ({ notes: [], flags: [] });

describe('verifyCacheOutcome', () => {
  it('confirms hits the server counted (other clients may only add)', () => {
    const findings = empty();
    verifyCacheOutcome('hits', 'redis 7', { gets: 10, hits: 10, misses: 0 }, { hits: 100, misses: 5 }, { hits: 112, misses: 5 }, findings);
    expect(findings).toEqual({
      notes: [], flags: [],
      cacheCheck: { tier: 'redis 7', gets: 10, hits: 10, misses: 0, serverHits: 12, serverMisses: 0, verified: true },
    });
  });

  it('flags hits the server did not count, or a miss on the hit path', () => {
    const short = empty();
    verifyCacheOutcome('hits', 'in-process', { gets: 10, hits: 10, misses: 0 }, { hits: 0, misses: 0 }, { hits: 9, misses: 0 }, short);
    expect(short.flags).toEqual(['cache-hits-unverified']);
    expect(short.notes).toEqual(['cache hits not confirmed: the client saw 10 hits and 0 misses in 10 GETs, the server counted 9 keyspace hits']);
    const missed = empty();
    verifyCacheOutcome('hits', 'redis', { gets: 2, hits: 1, misses: 1 }, { hits: 0, misses: 0 }, { hits: 1, misses: 1 }, missed);
    expect(missed.cacheCheck?.verified).toBe(false);
  });

  it('checks misses the same way for the miss path', () => {
    const ok = empty();
    verifyCacheOutcome('misses', 'redis', { gets: 3, hits: 0, misses: 3 }, { hits: 0, misses: 0 }, { hits: 0, misses: 3 }, ok);
    expect(ok.cacheCheck?.verified).toBe(true);
    const bad = empty();
    verifyCacheOutcome('misses', 'redis', { gets: 3, hits: 1, misses: 2 }, { hits: 0, misses: 0 }, { hits: 1, misses: 2 }, bad);
    expect(bad.flags).toEqual(['cache-misses-unverified']);
    expect(bad.notes).toEqual(['cache misses not confirmed: the client saw 2 misses and 1 hit in 3 GETs, the server counted 2 keyspace misses']);
    const one = empty();
    verifyCacheOutcome('misses', 'redis', { gets: 1, hits: 1, misses: 0 }, { hits: 0, misses: 0 }, { hits: 1, misses: 1 }, one);
    expect(one.notes).toEqual(['cache misses not confirmed: the client saw 0 misses and 1 hit in 1 GET, the server counted 1 keyspace miss']);
  });
});

describe('the exit code of a run whose cache outcome was not confirmed', () => {
  const outcomeWith = (flags: string[]): BenchOutcome => {
    const result = resultOf([pathOf('seq', [1000, 1100]), pathOf('http-fast', [100, 110], { kind: 'http', flags })]);
    return { result, comparisons: compareResult(result, { resamples: 20 }), warnings: [], interrupted: false };
  };

  it('is 1, even when no operation failed: the path did not time only what its name says', () => {
    for (const flag of ['cache-hits-unverified', 'cache-misses-unverified']) {
      const verdict = benchVerdict(outcomeWith([flag]), false);
      expect(verdict.exitCode, flag).toBe(ExitCode.failure);
      expect(verdict.lines).toEqual(['perfbench: the cache hits (or misses) of http-fast were not confirmed, so they did not time only what their name says ' +
        '(see the "not confirmed" warning); keep other clients from flushing or evicting the keys, raise --ttl for long runs, and run again']);
    }
    expect(benchVerdict(outcomeWith([]), false).exitCode).toBe(ExitCode.ok);
  });
});
