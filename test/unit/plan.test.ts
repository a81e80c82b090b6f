import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { findRelationScan, misestimateOf, parsePlan, scanIndexes, sharedBlocks } from '../../src/plan/plan.js';
import { fixture, fixtureJson, fixtureText } from './plan-fixture.js';

/** Times are sums of decimals: compare to the microsecond PostgreSQL prints. */
const ms = (value: number) => Number(value.toFixed(6));

describe('parsePlan: input shapes and errors', () => {
  it('accepts the JSON text, the array, the object and a result row alike', () => {
    const text = fixtureText('seq-scan-filter');
    const array = JSON.parse(text);
    for (const input of [text, array, array[0], { 'QUERY PLAN': array }]) {
      const plan = parsePlan(input);
      expect(plan.root.label).toBe('Seq Scan on products');
      expect(plan.executionTimeMs).toBe(5.686);
    }
  });

  it.each([
    ['not JSON at all', 'the plan is not valid JSON'],
    [[], 'expected one plan in the array, found 0'],
    [[{}, {}], 'expected one plan in the array, found 2'],
    [{ rows: 1 }, 'not an EXPLAIN plan: no "Plan" object found'],
    [42, 'not an EXPLAIN plan'],
    [{ Plan: { 'Actual Loops': 1 } }, 'plan node #0 has no "Node Type"'],
    [{ Plan: { 'Node Type': 'Seq Scan', 'Plan Rows': 10 } }, 'EXPLAIN was run without ANALYZE'],
    [{ Plan: { 'Node Type': 'Result', 'Actual Loops': 1, Plans: {} } }, '"Plans" that is not an array'],
    [{ Plan: { 'Node Type': 'Result', 'Actual Loops': 1, Plans: [3] } }, 'a child that is not an object'],
  ])('rejects %j with a one-line usage error', (input, message) => {
    let error: unknown;
    try {
      parsePlan(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const userError = error as UserError;
    expect(userError.message).toContain(message);
    expect(userError.exitCode).toBe(ExitCode.usage);
    expect(userError.hint).toContain('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)');
    expect(userError.line).not.toContain('\n');
  });
});

describe('parsePlan: a plain Seq Scan (PG 15, captured)', () => {
  const plan = fixture('seq-scan-filter');
  const scan = plan.root;

  it('reads the node', () => {
    expect(scan).toMatchObject({
      id: 0,
      parentId: null,
      nodeType: 'Seq Scan',
      relation: 'products',
      alias: 'products',
      estimatedRows: 977,
      actualRows: 1000,
      loops: 1,
      startupCost: 0,
      totalCost: 2281,
      filter: "((category)::text = 'cat-007'::text)",
      rowsRemovedByFilter: 99000,
      neverExecuted: false,
    });
    expect(scan.buffers).toMatchObject({ sharedHit: 1031, sharedRead: 0, tempRead: 0 });
    expect(sharedBlocks(scan.buffers)).toBe(1031);
  });

  it('has inclusive = exclusive for a leaf: 5.629 ms x 1 loop', () => {
    expect(scan.inclusiveTimeMs).toBe(5.629);
    expect(scan.exclusiveTimeMs).toBe(5.629);
  });

  it('computes the estimate factor: 1000 / 977 = 1.0235 (under)', () => {
    expect(scan.misestimate!.direction).toBe('under');
    expect(scan.misestimate!.factor).toBeCloseTo(1000 / 977, 10);
  });

  it('reads the whole-plan figures', () => {
    expect(plan.planningTimeMs).toBe(0.317);
    expect(plan.executionTimeMs).toBe(5.686);
    expect(plan.totalTimeMs).toBe(5.686);
    expect(plan.planningBuffers).toMatchObject({ sharedHit: 94, sharedRead: 0 });
    expect(plan.jit).toBeUndefined();
    expect(plan.triggers).toEqual([]);
    expect(plan.hasBuffers).toBe(true);
    expect(plan.raw['Execution Time']).toBe(5.686);
  });
});

describe('parsePlan: Nested Loop with an inner Index Scan run 50 times (captured)', () => {
  const plan = fixture('nested-loop');
  const [join, outer, inner] = plan.nodes;

  it('multiplies per-loop time by loops for the inner side: 0.010 ms x 50 = 0.500 ms', () => {
    expect(inner!.loops).toBe(50);
    expect(inner!.actualTotalTimeMs).toBe(0.01);
    expect(ms(inner!.inclusiveTimeMs)).toBe(0.5);
  });

  it('subtracts the children\'s totals from the join: 0.551 - (0.015 + 0.500) = 0.036 ms', () => {
    expect(ms(join!.exclusiveTimeMs)).toBe(0.036);
    // The known bug subtracts per-loop child times: (0.551 - 0.015 - 0.010) x 1 = 0.526 ms.
    expect(ms(join!.exclusiveTimeMs)).not.toBe(0.526);
    expect(outer!.exclusiveTimeMs).toBe(0.015);
  });

  it('counts rows removed over all loops and buffers exclusive of children', () => {
    expect(outer!.rowsRemovedByFilter).toBe(50);
    // 151 hit on the join - 1 (categories) - 150 (products_pkey) = 0 of its own.
    expect(join!.exclusiveBuffers.sharedHit).toBe(0);
    expect(inner!.exclusiveBuffers.sharedHit).toBe(150);
  });

  it('labels the nodes like EXPLAIN\'s text format', () => {
    expect(plan.nodes.map((n) => n.label)).toEqual([
      'Nested Loop',
      'Seq Scan on categories c',
      'Index Scan using products_pkey on products p',
    ]);
    expect(inner!.parentRelationship).toBe('Inner');
    expect(inner!.indexCond).toBe('(id = c.top_product_id)');
    expect(inner!.childIds).toEqual([]);
    expect(join!.childIds).toEqual([1, 2]);
    expect(inner!.depth).toBe(1);
  });
});

describe('parsePlan: parallel plan under Gather (captured)', () => {
  const plan = fixture('parallel-gather');
  const [finalize, gather, partial, scan] = plan.nodes;

  it('divides by the processes (child loops 3 / Gather loops 1) instead of adding worker time', () => {
    expect(gather!.workersLaunched).toBe(2);
    // Partial Aggregate: 5.765 ms x 3 loops / 3 processes = 5.765 ms (not 17.295 ms).
    expect(ms(partial!.inclusiveTimeMs)).toBe(5.765);
    // Parallel Seq Scan: 4.237 x 3 / 3 = 4.237 ms.
    expect(ms(scan!.inclusiveTimeMs)).toBe(4.237);
    // Gather: 13.683 - 5.765 = 7.918 ms; Finalize: 13.695 - 13.683 = 0.012 ms.
    expect(ms(gather!.exclusiveTimeMs)).toBe(7.918);
    expect(ms(finalize!.exclusiveTimeMs)).toBe(0.012);
    expect(ms(partial!.exclusiveTimeMs)).toBe(ms(5.765 - 4.237));
  });

  it('never lets a child exceed its Gather (no double counting)', () => {
    for (const node of plan.nodes) {
      if (node.parentId !== null) expect(node.inclusiveTimeMs).toBeLessThanOrEqual(plan.nodes[node.parentId]!.inclusiveTimeMs);
    }
  });

  it('names parallel and partial operations, and totals rows over all processes', () => {
    expect(scan!.label).toBe('Parallel Seq Scan on products');
    expect(partial!.operation).toBe('Partial Aggregate');
    expect(finalize!.operation).toBe('Finalize Aggregate');
    // 3,400 per loop x 3 loops.
    expect(scan!.rowsRemovedByFilter).toBe(10200);
    // 37,424 estimated per process vs 29,933 found: 1.2502x over.
    expect(scan!.misestimate).toEqual({ factor: 37424 / 29933, direction: 'over' });
  });

  it('takes the divisor from the loops, so a non-participating leader is not under-counted', () => {
    const raw = fixtureJson('parallel-gather');
    const gatherRaw = raw[0].Plan.Plans[0];
    // parallel_leader_participation = off: two workers, two loops below the Gather.
    gatherRaw.Plans[0]['Actual Loops'] = 2;
    gatherRaw.Plans[0].Plans[0]['Actual Loops'] = 2;
    const changed = parsePlan(raw);
    // 5.765 x 2 / 2 = 5.765 ms; "workers + 1" would give 5.765 x 2 / 3 = 3.843 ms.
    expect(ms(changed.nodes[2]!.inclusiveTimeMs)).toBe(5.765);
  });

  it('falls back to workers launched + 1 when the Gather never ran', () => {
    const raw = fixtureJson('parallel-gather');
    const gatherRaw = raw[0].Plan.Plans[0];
    gatherRaw['Actual Loops'] = 0;
    gatherRaw.Plans[0]['Actual Loops'] = 0;
    const changed = parsePlan(raw);
    expect(changed.nodes[1]!.neverExecuted).toBe(true);
    expect(changed.nodes[2]!.inclusiveTimeMs).toBe(0);
  });
});

describe('parsePlan: disk sort, hash batches, never executed (captured)', () => {
  it('reads sort method, space and temp I/O; exclusive time 65.779 - 6.504 = 59.275 ms', () => {
    const plan = fixture('sort-disk');
    const sort = plan.root;
    expect(sort).toMatchObject({ sortMethod: 'external merge', sortSpaceUsedKb: 4672, sortSpaceType: 'Disk', sortKey: ['name'] });
    expect(sort.buffers).toMatchObject({ tempRead: 1734, tempWritten: 1928 });
    expect(sort.io).toEqual({ readMs: 0, writeMs: 0, tempReadMs: 1.942, tempWriteMs: 3.311 });
    expect(ms(sort.exclusiveTimeMs)).toBe(59.275);
    // 1,034 hit by the sort - 1,031 by its Seq Scan = 3 of its own.
    expect(sort.exclusiveBuffers.sharedHit).toBe(3);
  });

  it('reads hash batches and exclusive temp I/O', () => {
    const plan = fixture('hash-batches');
    const [join, , hash] = plan.nodes;
    expect(hash).toMatchObject({ hashBatches: 16, originalHashBatches: 16, peakMemoryKb: 78 });
    expect(join!.hashCond).toBe('(q.id = p.id)');
    // Join: 29.752 - (5.647 + 6.882) = 17.223 ms; Hash: 6.882 - 5.200 = 1.682 ms.
    expect(ms(join!.exclusiveTimeMs)).toBe(17.223);
    expect(ms(hash!.exclusiveTimeMs)).toBe(1.682);
    // Temp written: 755 by the join in total, 45 of them by the Hash below it -> 710 its own.
    expect(join!.exclusiveBuffers.tempWritten).toBe(710);
    expect(ms(join!.exclusiveIo.tempWriteMs)).toBe(ms(2.844 - 0.232));
  });

  it('marks a node with zero loops as never executed, with no estimate factor', () => {
    const plan = fixture('never-executed');
    const inner = plan.nodes[2]!;
    expect(inner.neverExecuted).toBe(true);
    expect(inner.misestimate).toBeNull();
    expect(inner.inclusiveTimeMs).toBe(0);
    expect(inner.heapFetches).toBe(0);
    expect(inner.label).toBe('Index Only Scan using products_pkey on products p');
    // 1 estimated and 0 found is not a misestimate: rows below 1 count as 1.
    expect(plan.nodes[1]!.misestimate).toEqual({ factor: 1, direction: 'exact' });
  });
});

describe('parsePlan: CTE and JIT (captured)', () => {
  const plan = fixture('cte-jit');
  const [sort, cte, aggregate, cteScan] = plan.nodes;

  it('does not subtract the CTE from its parent but from the CTE Scan that reads it', () => {
    expect(cte!.subplanName).toBe('CTE cheap');
    expect(cteScan!.cteName).toBe('cheap');
    // Sort: 81.606 - 81.534 (HashAggregate) = 0.072 ms; the CTE's 80.348 ms are inside the scan.
    expect(ms(sort!.exclusiveTimeMs)).toBe(0.072);
    // CTE Scan: 81.049 - 80.348 = 0.701 ms.
    expect(ms(cteScan!.exclusiveTimeMs)).toBe(0.701);
    expect(ms(aggregate!.exclusiveTimeMs)).toBe(ms(81.534 - 81.049));
    // Buffers follow: the scan's 1,031 hits are the CTE's.
    expect(cteScan!.exclusiveBuffers.sharedHit).toBe(0);
    expect(cteScan!.label).toBe('CTE Scan on cheap');
    expect(aggregate!.operation).toBe('HashAggregate');
  });

  it('reads JIT timing', () => {
    expect(plan.jit).toEqual({
      functions: 9,
      totalMs: 74.863,
      generationMs: 0.441,
      inliningMs: 38.645,
      optimizationMs: 20.385,
      emissionMs: 15.392,
    });
  });
});

describe('parsePlan: other PostgreSQL versions (hand-made)', () => {
  it('PG 17: adds Shared and Local I/O times, reads Serialization and the JIT Generation object', () => {
    const plan = fixture('pg17-handmade');
    const [sort, scan] = plan.nodes;
    // Shared 3.250 + Local 0.500 = 3.750 ms on the Sort; 3.000 + 0.500 = 3.500 on the scan.
    expect(sort!.io.readMs).toBe(3.75);
    expect(scan!.io.readMs).toBe(3.5);
    expect(ms(sort!.exclusiveIo.readMs)).toBe(0.25);
    expect(sort!.exclusiveTimeMs).toBe(2.5);
    expect(plan.serialization).toEqual({ timeMs: 0.4, outputKb: 12, format: 'text' });
    expect(plan.jit).toMatchObject({ functions: 4, totalMs: 4, generationMs: 0.6, optimizationMs: 1.2 });
    expect(plan.planningBuffers).toMatchObject({ sharedHit: 10, sharedRead: 2 });
  });

  it('PG 13: Gather Merge with 1 of 2 workers, Incremental Sort group summaries', () => {
    const plan = fixture('pg13-handmade');
    const [gather, sort, scan] = plan.nodes;
    // Processes = 2 loops / 1 Gather loop. Sort: 25 x 2 / 2 = 25 ms; Gather Merge: 30 - 25 = 5 ms.
    expect(sort!.inclusiveTimeMs).toBe(25);
    expect(gather!.exclusiveTimeMs).toBe(5);
    // Sort: 25 - (10 x 2 / 2) = 15 ms.
    expect(sort!.exclusiveTimeMs).toBe(15);
    expect(sort).toMatchObject({ sortMethod: 'quicksort, external merge', sortSpaceUsedKb: 200, sortSpaceType: 'Disk' });
    expect(scan!.label).toBe('Parallel Index Scan using orders_customer_idx on orders');
    expect(scan!.io).toEqual({ readMs: 4, writeMs: 0, tempReadMs: 0, tempWriteMs: 0 });
    // 500 found per loop, 2 estimated: 250x under.
    expect(scan!.misestimate).toEqual({ factor: 250, direction: 'under' });
    expect(gather).toMatchObject({ workersPlanned: 2, workersLaunched: 1 });
  });

  it('reads an Incremental Sort whose groups all stayed in memory', () => {
    const raw = fixtureJson('pg13-handmade');
    delete raw[0].Plan.Plans[0]['Pre-sorted Groups'];
    const sort = parsePlan(raw).nodes[1]!;
    expect(sort).toMatchObject({ sortMethod: 'quicksort', sortSpaceUsedKb: 30, sortSpaceType: 'Memory' });
  });
});

describe('parsePlan: keys the captured fixtures lack', () => {
  const base = { 'Actual Loops': 1, 'Actual Total Time': 2, 'Plan Rows': 10, 'Actual Rows': 10 };

  it('names join types and aggregate strategies like the text format, and reads triggers', () => {
    const plan = parsePlan({
      Plan: {
        ...base,
        'Node Type': 'Hash Join',
        'Join Type': 'Left',
        'Join Filter': '(a.x > b.y)',
        'Rows Removed by Join Filter': 3,
        Plans: [
          { ...base, 'Node Type': 'Aggregate', Strategy: 'Sorted' },
          { ...base, 'Node Type': 'Nested Loop', 'Join Type': 'Anti', 'Actual Loops': 2 },
          { ...base, 'Node Type': 'Function Scan', 'Function Name': 'generate_series', Alias: 'g' },
          { ...base, 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'sales', Alias: 'orders' },
        ],
      },
      Triggers: [
        { 'Trigger Name': 'audit', Relation: 'orders', Time: 1.5, Calls: 3 },
        { 'Constraint Name': 'orders_fk', Time: 0.5, Calls: 1 },
        { Time: 0 },
      ],
      'Execution Time': 9,
    });
    expect(plan.nodes.map((n) => n.label)).toEqual([
      'Hash Left Join',
      'GroupAggregate',
      'Nested Loop Anti Join',
      'Function Scan on generate_series g',
      'Seq Scan on sales.orders',
    ]);
    expect(plan.root.rowsRemovedByJoinFilter).toBe(3);
    expect(plan.root.joinFilter).toBe('(a.x > b.y)');
    expect(plan.triggers).toEqual([
      { name: 'audit', relation: 'orders', timeMs: 1.5, calls: 3 },
      { name: 'orders_fk', relation: undefined, timeMs: 0.5, calls: 1 },
      { name: '?', relation: undefined, timeMs: 0, calls: 0 },
    ]);
    // Without BUFFERS there is nothing to report, and we say so.
    expect(plan.hasBuffers).toBe(false);
  });

  it('falls back to the root\'s inclusive time without Execution Time, and clamps exclusive at 0', () => {
    const plan = parsePlan({
      Plan: { ...base, 'Node Type': 'Limit', Plans: [{ ...base, 'Node Type': 'Seq Scan', 'Actual Total Time': 3 }] },
    });
    expect(plan.totalTimeMs).toBe(2);
    // The child reports 3 ms under a parent of 2 ms (rounding, instrumentation): 0, not -1.
    expect(plan.root.exclusiveTimeMs).toBe(0);
  });
});

describe('misestimateOf', () => {
  it.each([
    [100, 1000, 10, 'under'],
    [1000, 100, 10, 'over'],
    [1000, 0, 1000, 'over'],
    [1, 0, 1, 'exact'],
    [0, 0, 1, 'exact'],
    [5, 5, 1, 'exact'],
    [2, 0.5, 2, 'over'],
  ] as const)('estimated %d, actual %d -> %dx %s', (estimated, actual, factor, direction) => {
    expect(misestimateOf(estimated, actual)).toEqual({ factor, direction });
  });
});

describe('findRelationScan: is it using the index I just made?', () => {
  it('says no for the Seq Scan and yes for the Bitmap Heap Scan through its Bitmap Index Scan', () => {
    const before = findRelationScan(fixture('seq-scan-filter'), 'products')!;
    expect(before.usesIndex).toBe(false);
    expect(before.description).toBe('Seq Scan on products');
    const afterPlan = fixture('bitmap-heap-scan');
    const after = findRelationScan(afterPlan, 'products', 'products_category_idx')!;
    expect(after).toMatchObject({ usesIndex: true, indexes: ['products_category_idx'] });
    expect(after.description).toBe('Bitmap Heap Scan on products using products_category_idx');
    expect(findRelationScan(afterPlan, 'products', 'other_idx')!.usesIndex).toBe(false);
    expect(scanIndexes(afterPlan, afterPlan.nodes[1]!)).toEqual(['products_category_idx']);
  });

  it('finds the first scan, qualified names, and nothing for an unknown relation', () => {
    const plan = fixture('nested-loop');
    expect(findRelationScan(plan, 'products')).toMatchObject({ usesIndex: true, indexes: ['products_pkey'] });
    expect(findRelationScan(plan, 'categories')!.node.id).toBe(1);
    expect(findRelationScan(plan, 'orders')).toBeUndefined();
    const qualified = parsePlan({
      Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'orders', Schema: 'sales', 'Actual Loops': 1 },
    });
    expect(findRelationScan(qualified, 'sales.orders')!.usesIndex).toBe(false);
    expect(scanIndexes(qualified, qualified.root)).toEqual([]);
  });

  it('describes a Bitmap Heap Scan over a BitmapAnd with both indexes', () => {
    const leaf = (index: string) => ({ 'Node Type': 'Bitmap Index Scan', 'Index Name': index, 'Actual Loops': 1 });
    const plan = parsePlan({
      Plan: {
        'Node Type': 'Bitmap Heap Scan',
        'Relation Name': 'products',
        'Actual Loops': 1,
        Plans: [{ 'Node Type': 'BitmapAnd', 'Actual Loops': 1, Plans: [leaf('a_idx'), leaf('b_idx')] }],
      },
    });
    expect(findRelationScan(plan, 'products')).toMatchObject({
      usesIndex: true,
      description: 'Bitmap Heap Scan on products using a_idx, b_idx',
    });
    const bare = parsePlan({ Plan: { 'Node Type': 'Bitmap Heap Scan', 'Relation Name': 'p', 'Actual Loops': 1 } });
    expect(findRelationScan(bare, 'p')).toMatchObject({ usesIndex: false, description: 'Bitmap Heap Scan on p' });
  });
});
