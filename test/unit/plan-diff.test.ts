import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parsePlan, type ParsedPlan } from '../../src/plan/plan.js';
import { diffPlans } from '../../src/plan/plan-diff.js';
import { fixture, fixtureJson } from './plan-fixture.js';

/** The captured fixture with its Execution Time replaced, to build runs of known timings. */
function withTime(name: string, executionMs: number): ParsedPlan {
  const raw = fixtureJson(name);
  raw[0]['Execution Time'] = executionMs;
  return parsePlan(raw);
}

describe('diffPlans: one run each, without and with the index', () => {
  const diff = diffPlans(fixture('seq-scan-filter'), fixture('bitmap-heap-scan'));

  it('reports the swapped node with the index the Bitmap Heap Scan reads', () => {
    expect(diff.swaps).toHaveLength(1);
    expect(diff.swaps[0]!.relation).toBe('products');
    expect(`${diff.swaps[0]!.before!.description} -> ${diff.swaps[0]!.after!.description}`).toBe(
      'Seq Scan on products -> Bitmap Heap Scan on products using products_category_idx',
    );
  });

  it('reports time, buffers, rows removed and the speed-up: 5.686 / 1.992 = 2.854x', () => {
    expect(diff.executionTime.before.medianMs).toBe(5.686);
    expect(diff.executionTime.after.medianMs).toBe(1.992);
    expect(diff.speedup).toBeCloseTo(5.686 / 1.992, 12);
    expect(diff.pairedSpeedup).toBeCloseTo(5.686 / 1.992, 12);
    // 1,031 hit + 0 read before; 1,000 hit + 3 read after.
    expect(diff.sharedBlocks).toEqual({ before: 1031, after: 1003 });
    expect(diff.rowsRemovedByFilter).toEqual({ before: 99000, after: 0 });
  });

  it('matches the Bitmap Index Scan into its heap scan rather than listing it as new', () => {
    expect(diff.nodes).toHaveLength(1);
    expect(diff.nodes[0]).toMatchObject({ changed: true, before: { id: 0, inclusiveTimeMs: 5.629 }, after: { id: 0, inclusiveTimeMs: 1.921 } });
  });
});

describe('diffPlans: node matching', () => {
  it('pairs unchanged nodes as unchanged', () => {
    const diff = diffPlans(fixture('nested-loop'), fixture('nested-loop'));
    expect(diff.swaps).toEqual([]);
    expect(diff.nodes.map((m) => [m.before!.description, m.changed])).toEqual([
      ['Nested Loop', false],
      ['Seq Scan on categories c', false],
      ['Index Scan using products_pkey on products p', false],
    ]);
    expect(diff.speedup).toBe(1);
  });

  it('lists nodes found on one side only, before-order first', () => {
    // The sort (over a full Seq Scan of products) vs the index plan: the Sort has no partner.
    const diff = diffPlans(fixture('sort-disk'), fixture('bitmap-heap-scan'));
    expect(diff.nodes.map((m) => [m.before?.description ?? null, m.after?.description ?? null, m.changed])).toEqual([
      ['Sort', null, true],
      ['Seq Scan on products', 'Bitmap Heap Scan on products using products_category_idx', true],
    ]);
    const reverse = diffPlans(fixture('bitmap-heap-scan'), fixture('sort-disk'));
    expect(reverse.nodes.at(-1)).toMatchObject({ after: { description: 'Sort' }, changed: true });
    expect(reverse.nodes.at(-1)!.before).toBeUndefined();
  });

  it('pairs the k-th scan of a relation with the k-th, keyed by alias', () => {
    const diff = diffPlans(fixture('hash-batches'), fixture('hash-batches'));
    expect(diff.nodes.filter((m) => m.relation === 'products').map((m) => [m.before!.description, m.after!.description])).toEqual([
      ['Seq Scan on products q', 'Seq Scan on products q'],
      ['Seq Scan on products p', 'Seq Scan on products p'],
    ]);
  });
});

describe('diffPlans: several runs per side', () => {
  it('reports medians so one noisy run does not decide', () => {
    const before = [10, 12, 500].map((t) => withTime('seq-scan-filter', t));
    const after = [2, 3, 4].map((t) => withTime('bitmap-heap-scan', t));
    const diff = diffPlans(before, after);
    expect(diff.runs).toEqual({ before: 3, after: 3 });
    expect(diff.executionTime.before).toEqual({ runsMs: [10, 12, 500], medianMs: 12, minMs: 10, maxMs: 500 });
    // Median 12 / median 3 = 4x, where the mean (174 / 3) would claim 58x.
    expect(diff.speedup).toBe(4);
    // Run by run: 10/2 = 5, 12/3 = 4, 500/4 = 125 -> median 5.
    expect(diff.pairedSpeedup).toBe(5);
  });

  it('averages the two middle runs for an even count and skips pairing for unequal counts', () => {
    const diff = diffPlans(
      [1, 2, 3, 4].map((t) => withTime('seq-scan-filter', t)),
      [1, 1].map((t) => withTime('bitmap-heap-scan', t)),
    );
    expect(diff.executionTime.before.medianMs).toBe(2.5);
    expect(diff.speedup).toBe(2.5);
    expect(diff.pairedSpeedup).toBeNull();
  });

  it('has no speed-up when "after" took no time, and refuses an empty side', () => {
    const diff = diffPlans(withTime('seq-scan-filter', 5), withTime('bitmap-heap-scan', 0));
    expect(diff.speedup).toBeNull();
    expect(diff.pairedSpeedup).toBeNull();
    expect(() => diffPlans([], fixture('seq-scan-filter'))).toThrow(UserError);
    expect(() => diffPlans(fixture('seq-scan-filter'), [])).toThrow('no "after" plan to compare');
  });
});
