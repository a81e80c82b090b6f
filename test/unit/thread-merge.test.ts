import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { workersOption } from '../../src/flags/bench-flags.js';
import { clientBusyShare } from '../../src/measure/self-check.js';
import { combinePaths, type CacheCheck } from '../../src/measure/result.js';
import { combineCacheChecks, combineThreads } from '../../src/measure/thread-merge.js';
import { combineFindings } from '../../src/targets/thread-findings.js';
import { shareOf } from '../../src/usecases/bench-threads.js';
import { FakeClock } from '../../src/measure/clock.js';
import { runTarget } from '../../src/measure/runner.js';
import type { Target } from '../../src/measure/target.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { pathOf } from './bench-helpers.js';

const check = (extra: Partial<CacheCheck>): CacheCheck =>
  ({ tier: 'redis 7', gets: 10, hits: 10, misses: 0, serverHits: 25, serverMisses: 0, verified: true, ...extra });

describe('combineThreads (bench --workers)', () => {
  const a = pathOf('index', [100, 200, 300], { concurrency: 2, clientCpuMs: 900, elapsedMs: 1000, throughputOpsPerSec: 3 });
  const b = pathOf('index', [150, 250], { concurrency: 1, clientCpuMs: 950, elapsedMs: 1010, throughputOpsPerSec: 2 });
  const merged = combineThreads([a, b], 3);

  it("adds the threads' operations and histograms exactly: the merged count is the sum of theirs", () => {
    expect(merged.ops).toBe(5);
    expect(merged.summary.count).toBe(a.summary.count + b.summary.count);
    expect(merged.histogram).toBe(combinePaths([a, b], 'concurrent').histogram);
    expect(merged.throughputOpsPerSec).toBe(5);
    expect(merged.elapsedMs).toBe(1010);
  });

  it("is one source at the process's concurrency, made by 2 threads", () => {
    expect(merged).toMatchObject({ concurrency: 3, sources: 1, workers: 2 });
  });

  it("takes the process's CPU time once (every thread read the same clock), and the busy share per thread", () => {
    expect(merged.clientCpuMs).toBe(950);
    expect(clientBusyShare(merged)).toBeCloseTo(950 / (1010 * 2));
  });

  it("adds the CPU times of worker processes (bench --driver libpq: each read its own clock)", () => {
    const processes = combineThreads([a, b], 3, 'per-worker');
    expect(processes.clientCpuMs).toBe(1850);
    expect(clientBusyShare(processes)).toBeCloseTo(1850 / (1010 * 2));
  });

  it('adds thread counts when processes that used threads are merged', () => {
    const other = combineThreads([pathOf('index', [100]), pathOf('index', [120]), pathOf('index', [130])], 3);
    expect(combinePaths([merged, other], 'concurrent').workers).toBe(5);
  });
});

describe('combineCacheChecks', () => {
  it("adds what the clients saw, keeps the smallest server reading, and is confirmed only when every thread's check was", () => {
    const merged = combineCacheChecks([check({}), check({ gets: 12, hits: 12, serverHits: 24 })]);
    expect(merged).toMatchObject({ gets: 22, hits: 22, misses: 0, serverHits: 24, verified: true });
    expect(combineCacheChecks([check({}), check({ verified: false, misses: 1 })]).verified).toBe(false);
  });
});

describe('combineFindings', () => {
  it('keeps one plan, tells each flag once with its own note, and adds server timings', () => {
    const plan = { category: 'a' } as never;
    const merged = combineFindings([
      { plan, notes: ['plan mismatch: seq scan', 'loose note'], flags: ['plan-mismatch'], serverTiming: { responses: 2, meanMs: { total: 1 }, xCache: { HIT: 2 } } },
      { notes: ['plan mismatch: seq scan', 'cache hits not confirmed'], flags: ['plan-mismatch', 'cache-hits-unverified'], serverTiming: { responses: 2, meanMs: { total: 3 }, xCache: { HIT: 1, MISS: 1 } } },
    ]);
    expect(merged.plan).toBe(plan);
    expect(merged.flags).toEqual(['plan-mismatch', 'cache-hits-unverified']);
    expect(merged.notes).toEqual(['plan mismatch: seq scan', 'cache hits not confirmed', 'loose note']);
    expect(merged.serverTiming).toEqual({ responses: 4, meanMs: { total: 2 }, xCache: { HIT: 3, MISS: 1 } });
  });
});

describe('workersOption', () => {
  it('takes up to as many threads as the lowest concurrency', () => {
    expect(workersOption('2', [2, 8])).toBe(2);
  });

  it('refuses more threads than clients, and nonsense, as usage errors', () => {
    for (const [text, concurrency, message] of [
      ['3', [2], /--workers 3 is more than --concurrency 2/],
      ['4', [16, 2], /--workers 4 is more than --concurrency 2/],
      ['0', [4], /--workers/],
      ['two', [4], /--workers/],
    ] as const) {
      try {
        workersOption(text, concurrency);
        expect.unreachable(`accepted --workers ${text}`);
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        expect((error as UserError).exitCode).toBe(ExitCode.usage);
        expect((error as UserError).line).toMatch(message);
      }
    }
  });
});

describe('threads split the run exactly', () => {
  it('shares every count out so that the shares add up to it', () => {
    for (const [total, threads] of [[16, 4], [3, 2], [400, 3], [1, 1], [7, 7]] as const) {
      const shares = Array.from({ length: threads }, (_, t) => shareOf(total, t, threads));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  it('deals the one sequence round-robin: together the threads run exactly the operations one thread would, for any N', async () => {
    const sequence = categorySequence({ categories: 50, distribution: 'zipf', skew: 1.1, seed: 9 });
    const single = Array.from({ length: 400 }, (_, i) => sequence.at(i));
    for (const threads of [2, 3, 4]) {
      const asked = new Array<string>(400);
      for (let t = 0; t < threads; t++) {
        // What bench-thread.ts hands the runner for thread t of a whole run.
        const target: Target = { name: 'probe', kind: 'other', run: async (op) => void (asked[op.index] = op.category) };
        await runTarget(target, { concurrency: 1, iterations: shareOf(400, t, threads), sequence, slice: { offset: t, stride: threads }, clock: new FakeClock() });
      }
      expect(asked).toEqual(single);
    }
  });
});
