/**
 * Items 5 and 9 of issue 10: spills in every process. A HashAggregate's `HashAgg Batches`, `Disk
 * Usage` and `Peak Memory Usage` (PG 13+), and a sort's space, are printed for the leader on the
 * node and for each worker in `Workers[]`; a spill anywhere is a warning with its size. Captured
 * on PostgreSQL 15: a parallel HashAggregate spilling in all three processes, the same with the
 * leader not taking part (no leader figures at all), and a parallel sort spilling in all three.
 */
import { describe, expect, it } from 'vitest';
import { planWarnings, type PlanWarning } from '../../src/plan/plan-warnings.js';
import { hashAggsByProcess, parsePlan, sortsByProcess } from '../../src/plan/plan.js';
import { fixture, fixtureJson } from './plan-fixture.js';

const kinds = (warnings: PlanWarning[]) => warnings.map((w) => `${w.severity} ${w.kind} #${w.nodeId}`);
const ofKind = (warnings: PlanWarning[], kind: PlanWarning['kind']) => warnings.filter((w) => w.kind === kind);

describe('HashAggregate spills (hashagg-spill-parallel, captured)', () => {
  const plan = fixture('hashagg-spill-parallel');
  const [finalize, , partial] = plan.nodes;

  it('reads the leader\'s figures and each worker\'s', () => {
    expect(finalize).toMatchObject({ operation: 'Finalize HashAggregate', hashAggBatches: 9, peakMemoryKb: 257, diskUsageKb: 504, plannedPartitions: 8, groupKey: ['station_id', 'rain_mm'] });
    expect(partial).toMatchObject({ operation: 'Partial HashAggregate', hashAggBatches: 9, diskUsageKb: 3528, loops: 3 });
    expect(partial!.workers).toEqual([
      { workerNumber: 0, hashAggBatches: 9, peakMemoryKb: 257, diskUsageKb: 3456 },
      { workerNumber: 1, hashAggBatches: 9, peakMemoryKb: 257, diskUsageKb: 3416 },
    ]);
    expect(hashAggsByProcess(partial!).map((a) => [a.worker, a.diskKb, a.spilled])).toEqual([[null, 3528, true], [0, 3456, true], [1, 3416, true]]);
  });

  it('warns on both aggregates with the sizes, adding up the processes', () => {
    const warnings = planWarnings(plan);
    expect(kinds(ofKind(warnings, 'hashagg-spill'))).toEqual(['warning hashagg-spill #0', 'warning hashagg-spill #2']);
    const [single, parallel] = ofKind(warnings, 'hashagg-spill');
    expect(single!.message).toBe(
      'Finalize HashAggregate spilled to disk (9 batches, 504 kB on disk, peak memory 257 kB; planned 8 partitions; threshold: any disk use)',
    );
    // 3,528 + 3,456 + 3,416 = 10,400 kB.
    expect(parallel!.message).toBe(
      'Partial HashAggregate spilled to disk in 3 of 3 processes (leader: 9 batches, 3,528 kB on disk, peak memory 257 kB; ' +
        'worker 0: 9 batches, 3,456 kB on disk, peak memory 257 kB; worker 1: 9 batches, 3,416 kB on disk, peak memory 257 kB; ' +
        `${(3528 + 3456 + 3416).toLocaleString('en-US')} kB in total; planned 8 partitions; threshold: any disk use)`,
    );
    expect(parallel!.suggestion).toContain('work_mem x hash_mem_multiplier per process');
  });

  it('does not warn on a HashAggregate that stayed in memory (cte-jit: 1 batch, 0 kB on disk)', () => {
    const inMemory = fixture('cte-jit').nodes[2]!;
    expect(inMemory).toMatchObject({ operation: 'HashAggregate', hashAggBatches: 1, diskUsageKb: 0, peakMemoryKb: 48 });
    expect(ofKind(planWarnings(fixture('cte-jit')), 'hashagg-spill')).toEqual([]);
  });

  it('counts more than one batch as a spill even without a disk figure', () => {
    const plan = parsePlan({
      Plan: { 'Node Type': 'Aggregate', Strategy: 'Hashed', 'Actual Loops': 1, 'HashAgg Batches': 4, 'Peak Memory Usage': 100 },
    });
    expect(ofKind(planWarnings(plan), 'hashagg-spill')[0]!.message).toBe(
      'HashAggregate spilled to disk (4 batches, 0 kB on disk, peak memory 100 kB; threshold: any disk use)',
    );
  });
});

describe('HashAggregate spills in workers only (hashagg-spill-workers-only, captured)', () => {
  const plan = fixture('hashagg-spill-workers-only');
  const partial = plan.nodes[2]!;

  it('has no leader figures: the leader did not take part', () => {
    expect(partial.hashAggBatches).toBeUndefined();
    expect(partial.diskUsageKb).toBeUndefined();
    expect(partial.loops).toBe(2);
    expect(hashAggsByProcess(partial).map((a) => a.worker)).toEqual([0, 1]);
  });

  it('still warns, from the workers\' figures (nothing was said before)', () => {
    const warning = ofKind(planWarnings(plan), 'hashagg-spill').find((w) => w.nodeId === 2)!;
    expect(warning.message).toContain('spilled to disk in 2 of 2 processes (worker 0: 9 batches, 7,232 kB on disk');
    expect(warning.message).toContain(`${(7232 + 7176).toLocaleString('en-US')} kB in total`);
  });
});

describe('a parallel sort that spills in the workers too (sort-disk-workers, captured)', () => {
  const plan = fixture('sort-disk-workers');
  const sort = plan.nodes[2]!;

  it('reads each worker\'s sort', () => {
    expect(sort).toMatchObject({ sortMethod: 'external merge', sortSpaceUsedKb: 3960, sortSpaceType: 'Disk', sortKey: ['remark'] });
    expect(sortsByProcess(sort)).toEqual([
      { worker: null, method: 'external merge', spaceKb: 3960, spaceType: 'Disk', spilled: true },
      { worker: 0, method: 'external merge', spaceKb: 3328, spaceType: 'Disk', spilled: true },
      { worker: 1, method: 'external merge', spaceKb: 1568, spaceType: 'Disk', spilled: true },
    ]);
  });

  it('warns with every process\'s spill and the total (it named the leader\'s 3,960 kB only)', () => {
    const [warning] = ofKind(planWarnings(plan), 'sort-spill');
    expect(warning!.message).toBe(
      'Sort spilled to disk in 3 of 3 processes (leader external merge 3,960 kB, worker 0 external merge 3,328 kB, ' +
        `worker 1 external merge 1,568 kB; ${(3960 + 3328 + 1568).toLocaleString('en-US')} kB in total; threshold: any disk use)`,
    );
    expect(warning!.suggestion).toContain('above the largest spill (3,960 kB)');
  });

  it('warns on a worker\'s spill when the leader sorted in memory or did not sort at all', () => {
    const raw = fixtureJson('sort-disk-workers');
    const sortRaw = raw[0].Plan.Plans[0].Plans[0];
    delete sortRaw['Sort Method'];
    delete sortRaw['Sort Space Used'];
    delete sortRaw['Sort Space Type'];
    sortRaw.Workers[0] = { 'Worker Number': 0, 'Sort Method': 'quicksort', 'Sort Space Used': 900, 'Sort Space Type': 'Memory' };
    const [warning] = ofKind(planWarnings(parsePlan(raw)), 'sort-spill');
    expect(warning!.message).toBe(
      'Sort spilled to disk in 1 of 2 processes (worker 1 external merge 1,568 kB; 1,568 kB in total; threshold: any disk use)',
    );
  });

  it('does not warn on workers that sorted in memory (limit-top-n: top-N heapsort in all three)', () => {
    const topN = fixture('limit-top-n').nodes[2]!;
    expect(sortsByProcess(topN).map((s) => [s.worker, s.method, s.spilled])).toEqual([
      [null, 'top-N heapsort', false],
      [0, 'top-N heapsort', false],
      [1, 'top-N heapsort', false],
    ]);
    expect(ofKind(planWarnings(fixture('limit-top-n')), 'sort-spill')).toEqual([]);
  });

  it('reads an Incremental Sort worker\'s group summaries like the leader\'s', () => {
    const plan = parsePlan({
      Plan: {
        'Node Type': 'Incremental Sort',
        'Actual Loops': 2,
        Workers: [{ 'Worker Number': 0, 'Full-sort Groups': { 'Sort Methods Used': ['external merge'], 'Sort Space Disk': { 'Peak Sort Space Used': 640 } } }],
      },
    });
    expect(plan.root.workers[0]).toMatchObject({ sortMethod: 'external merge', sortSpaceUsedKb: 640, sortSpaceType: 'Disk' });
    expect(kinds(ofKind(planWarnings(plan), 'sort-spill'))).toEqual(['warning sort-spill #0']);
  });
});
