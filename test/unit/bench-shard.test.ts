/**
 * bench --shard I/N (issue 14, item 1), the pure parts: shares that add up exactly, disjoint operation
 * slices whose union is what one process draws (through the real runner on a fake clock), the open
 * loop's interleaved schedule, the flags, and merge's checks that shards make up one whole run.
 */
import { describe, expect, it } from 'vitest';
import { derivedRunId, shardOption, startAtOption } from '../../src/flags/shard-flags.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { FakeClock } from '../../src/measure/clock.js';
import { shardProblems } from '../../src/measure/merge-check.js';
import { createResult, mergeResults, runConcurrency, type BenchResult } from '../../src/measure/result.js';
import { runTarget } from '../../src/measure/runner.js';
import { operationSlice, rateShare, shareOf, startSkewMs, type Shard } from '../../src/measure/shard.js';
import { generatorsLine } from '../../src/report/bench-generators.js';
import { renderReport } from '../../src/report/bench-report.js';
import { checkStartAt } from '../../src/usecases/shard-start.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { usageLine } from '../support/usage.js';
import { fakeTarget, pathOf } from './bench-helpers.js';

const shards = (n: number): Shard[] => Array.from({ length: n }, (_, k) => ({ index: k + 1, count: n }));
const sequence = categorySequence({ categories: 50, distribution: 'zipf', seed: 3 });

describe('shares', () => {
  it('split a whole number so the shares add up exactly, the first shards taking the remainder', () => {
    expect(shards(4).map((s) => shareOf(10, s))).toEqual([3, 3, 2, 2]);
    expect(shards(3).map((s) => shareOf(2000, s))).toEqual([667, 667, 666]);
    for (const [total, n] of [[1, 1], [7, 7], [1023, 16], [1_000_000_007, 13]] as const) {
      expect(shards(n).reduce((sum, s) => sum + shareOf(total, s), 0)).toBe(total);
    }
    expect(shards(4).map((s) => rateShare(1000, s))).toEqual([250, 250, 250, 250]);
  });

  it('deal the operations round-robin: disjoint slices whose union is exactly what one process runs (real runner, iterations)', async () => {
    const clock = new FakeClock();
    const whole = fakeTarget(clock, 'index', () => 50);
    await runTarget(whole, { concurrency: 3, iterations: 1001, sequence, clock });
    const seen: Array<{ index: number; category: string }> = [];
    for (const shard of shards(4)) {
      const part = fakeTarget(clock, 'index', () => 50);
      await runTarget(part, { concurrency: 1, iterations: shareOf(1001, shard), sequence, slice: operationSlice(shard), clock });
      // Shard I asks for operations I-1, I-1+N, …, each with the category one process asks for there.
      expect(part.seen.map((o) => o.index).sort((a, b) => a - b)).toEqual(
        Array.from({ length: shareOf(1001, shard) }, (_, k) => shard.index - 1 + 4 * k));
      seen.push(...part.seen);
    }
    const byIndex = (list: readonly { index: number; category: string }[]) => [...list].sort((a, b) => a.index - b.index);
    expect(byIndex(seen)).toEqual(byIndex(whole.seen));
    expect(seen).toHaveLength(1001);
  });

  it('open loop: N shards started together follow the run\'s schedule, interleaved', async () => {
    const intended: number[] = [];
    for (const shard of shards(4)) {
      const clock = new FakeClock();
      const target = fakeTarget(clock, 'noop', () => {
        intended.push(Number(clock.nowNs()));
        return 0;
      });
      await runTarget(target, { concurrency: 1, iterations: 5, ratePerSec: rateShare(1000, shard), sequence, slice: operationSlice(shard), clock });
    }
    // 1,000 ops/s over 4 shards: every millisecond one operation, shard I at (I-1) ms + 4k ms.
    expect(intended.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => k * 1e6));
  });
});

describe('shard flags', () => {
  it('parse --shard, --start-at, --barrier and --run-id, deriving one run id from what every shard is given alike', () => {
    const o = benchOptions({ shard: '2/4', concurrency: '4,8', barrier: 'nightly-7', barrierTimeout: '30s' });
    expect(o.shard).toMatchObject({ shard: { index: 2, count: 4 }, start: { kind: 'barrier', key: 'nightly-7', timeoutMs: 30_000 } });
    const other = benchOptions({ shard: '3/4', concurrency: '4,8', barrier: 'nightly-7', barrierTimeout: '30s' });
    expect(other.shard!.runId).toBe(o.shard!.runId);
    expect(o.shard!.runId).toMatch(/^run-[0-9a-f]{12}$/);
    expect(benchOptions({ shard: '2/4', concurrency: '4,16', barrier: 'nightly-7' }).shard!.runId).not.toBe(o.shard!.runId);
    expect(benchOptions({ shard: '1/2', concurrency: '4', barrier: 'other' }).shard!.runId).not.toBe(derivedRunId(o, { index: 1, count: 4 }, { kind: 'none' }));
    expect(benchOptions({ shard: '1/1', runId: 'nightly-42' }).shard).toMatchObject({ runId: 'nightly-42', start: { kind: 'none' } });
    expect(benchOptions({ shard: '1/2', concurrency: '2', startAt: '2026-12-01T22:00:00+01:00' }).shard!.start).toEqual({ kind: 'start-at', atMs: Date.parse('2026-12-01T21:00:00Z') });
    expect(shardOption(' 4 / 4 ')).toEqual({ index: 4, count: 4 });
    expect(startAtOption('2026-12-01T22:00:00.250Z')).toBe(Date.parse('2026-12-01T22:00:00.250Z'));
  });

  it.each([
    [{ shard: '0/4' }, "--shard '0/4' is not I/N with 1 <= I <= N <= 1024 — e.g. --shard 1/4 … --shard 4/4, one per process"],
    [{ shard: '5/4' }, "--shard '5/4' is not I/N"],
    [{ shard: 'two' }, "--shard 'two' is not I/N"],
    [{ shard: '1/4', concurrency: '4,2' }, '--concurrency 2 is less than the 4 shards: each shard needs at least one worker — give every level at least 4, or use fewer shards'],
    [{ shard: '1/4', concurrency: '4', iterations: '3' }, '--iterations 3 is less than the 4 shards'],
    [{ shard: '1/2', concurrency: '2', startAt: '2026-12-01 22:00' }, "--start-at '2026-12-01 22:00' is not an ISO 8601 instant with a time zone"],
    [{ shard: '1/2', concurrency: '2', startAt: '2026-12-01T22:00:00' }, 'is not an ISO 8601 instant with a time zone'],
    [{ shard: '1/2', concurrency: '2', startAt: '2026-12-01T22:00:00Z', barrier: 'k' }, 'give either --start-at or --barrier, not both'],
    [{ shard: '1/2', concurrency: '2', barrierTimeout: '5s' }, '--barrier-timeout applies only with --barrier'],
    [{ shard: '1/2', concurrency: '2', barrier: 'no spaces' }, "--barrier 'no spaces' is not an id"],
    [{ shard: '1/2', concurrency: '2', runId: '' }, "--run-id '' is not an id"],
    [{ barrier: 'k' }, '--barrier applies only with --shard — add --shard I/N, or drop it'],
    [{ runId: 'r' }, '--run-id applies only with --shard'],
    [{ startAt: '2026-12-01T22:00:00Z' }, '--start-at applies only with --shard'],
    [{ shard: '1/2', concurrency: '2', builtin: ['select-only'] }, 'a --workload/--builtin run cannot be sharded yet'],
  ])('refuses %j in one line', (flags, line) => {
    expect(usageLine(() => benchOptions(flags))).toContain(line);
  });

  it('refuses a --start-at in the past beyond a second, or more than a day ahead', () => {
    const now = Date.parse('2026-12-01T22:00:00Z');
    const at = (atMs: number) => ({ shard: { index: 1, count: 2 }, runId: 'r', start: { kind: 'start-at' as const, atMs } });
    expect(() => checkStartAt(at(now - 900), now)).not.toThrow();
    expect(usageLine(() => checkStartAt(at(now - 12_500), now))).toBe(
      '--start-at 2026-12-01T21:59:47.500Z is 12.5 s in the past — give every shard the same instant far enough ahead for all of them to start and prepare, e.g. a minute from now');
    expect(usageLine(() => checkStartAt(at(now + 25 * 3600_000), now))).toContain('is more than 24 hours ahead');
  });
});

describe('merging shards', () => {
  const shard = (index: number, count = 4, runId = 'run-a', values = [100 * index, 200 * index], startedAt = `2026-12-01T22:00:00.00${index}Z`): BenchResult => {
    const result = createResult({
      environment: { dataset: 'd' }, options: { mode: 'closed', concurrency: [10], iterations: 8, trials: 1, distribution: 'uniform', seed: 1 },
      paths: [pathOf('index', values, { concurrency: shareOf(10, { index, count }), totalConcurrency: 10, measureStartedAt: startedAt })],
    });
    result.shard = { index, count, runId, start: 'barrier', barrier: 'k' };
    return result;
  };

  it('finds nothing wrong with every shard of one run, once each', () => {
    expect(shardProblems([shard(2), shard(1), shard(4), shard(3)], ['b', 'a', 'd', 'c'])).toEqual([]);
    expect(shardProblems([pathless(), pathless()], ['x', 'y'])).toEqual([]); // no shard at all: the checks of plain merges only
  });

  it('names mixed runs, counts, duplicates, missing shards and plain results', () => {
    expect(shardProblems([shard(1), shard(2), shard(3), shard(4, 4, 'run-b')], ['1.json', '2.json', '3.json', '4.json'])).toEqual([
      'run ids differ (1.json run-a, 2.json run-a, 3.json run-a, 4.json run-b)']);
    expect(shardProblems([shard(1), shard(1), shard(3)], ['1.json', 'again.json', '3.json'])).toEqual([
      'shard 1 appears 2 times (1.json, again.json)', 'shards 2, 4 of 4 are missing']);
    expect(shardProblems([shard(1, 2), shard(2, 3)], ['a', 'b'])).toEqual(['shard counts differ (a 1/2, b 2/3)']);
    expect(shardProblems([shard(1, 2), pathless()], ['a', 'b'])).toEqual(['b is not a shard (no --shard)', 'shard 2 of 2 is missing']);
  });

  it('adds the shares back into the level, states the generators and their start skew', () => {
    const parts = [shard(1), shard(2), shard(3), shard(4)];
    const merged = mergeResults(parts);
    const [p] = merged.paths;
    expect([p!.concurrency, p!.sources, runConcurrency(p!), p!.ops]).toEqual([10, 4, 10, 8]);
    expect(p!.startSkewMs).toBe(3);
    expect(p!.measureStartedAt).toBe('2026-12-01T22:00:00.001Z');
    expect(merged.generators).toEqual({ count: 4, runId: 'run-a', shards: [1, 2, 3, 4], firstStartSkewMs: 3, maxStartSkewMs: 3 });
    expect(generatorsLine(merged)).toBe('4 generators (shards 1, 2, 3, 4 of run run-a); start skew of their measured phases: 3.00 ms at the first, at most 3.00 ms over all');
    expect(generatorsLine(parts[1]!)).toBe('Shard 2/4 of run run-a (started at barrier k): one generator\'s share of the load; merge the 4 results for the run\'s figures');
    expect(runConcurrency(parts[2]!.paths[0]!)).toBe(2);
    // Every human format states it: the table and Markdown under the title, the HTML page in its context.
    const stub = { uplotJs: '', uplotCss: '', uplotVersion: '0.0.0' };
    for (const format of ['table', 'markdown', 'html'] as const) {
      expect(renderReport(format, { result: merged, comparisons: [], htmlAssets: stub })).toContain('4 generators (shards 1, 2, 3, 4 of run run-a)');
    }
    expect(renderReport('table', { result: merged, comparisons: [] })).toMatch(/│ index │ +10 │ +8 │/);
    expect(startSkewMs([])).toBeUndefined();
  });
});

function pathless(): BenchResult {
  return createResult({ environment: {}, options: { mode: 'closed', concurrency: [1], trials: 1, distribution: 'uniform', seed: 1 }, paths: [] });
}
