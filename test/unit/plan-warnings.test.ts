import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/plan/plan.js';
import {
  HASH_BATCHES_MAX,
  MISESTIMATE_CRITICAL_FACTOR,
  MISESTIMATE_FACTOR,
  SEQ_SCAN_MIN_PAGES,
  SEQ_SCAN_REMOVED_SHARE,
  SLOW_NODE_MIN_MS,
  SLOW_NODE_SHARES,
  filterColumn,
  indexAddCommand,
  planWarnings,
  type PlanWarning,
} from '../../src/plan/plan-warnings.js';
import { fixture } from './plan-fixture.js';

const kinds = (warnings: PlanWarning[]) => warnings.map((w) => `${w.severity} ${w.kind} #${w.nodeId}`);

/** A one-node Seq Scan plan: `kept` rows returned, `removed` filtered out, `pages` shared blocks. */
function seqScan(kept: number, removed: number, pages: number, filter = "((category)::text = 'cat-1'::text)") {
  return parsePlan({
    Plan: {
      'Node Type': 'Seq Scan',
      'Relation Name': 'products',
      Alias: 'products',
      'Plan Rows': kept,
      'Actual Rows': kept,
      'Actual Loops': 1,
      'Actual Total Time': 1,
      Filter: filter,
      'Rows Removed by Filter': removed,
      'Shared Hit Blocks': pages,
      'Shared Read Blocks': 0,
    },
    // Long enough that the node is not "slow": these tests are about the index hint.
    'Execution Time': 100,
  });
}

describe('thresholds', () => {
  it('are the documented ones', () => {
    expect(SEQ_SCAN_MIN_PAGES).toBe(3);
    expect(SEQ_SCAN_REMOVED_SHARE).toBeCloseTo(2 / 3, 12);
    expect(MISESTIMATE_FACTOR).toBe(10);
    expect(MISESTIMATE_CRITICAL_FACTOR).toBe(100);
    expect(HASH_BATCHES_MAX).toBe(1);
    expect(SLOW_NODE_SHARES).toEqual({ info: 0.1, warning: 0.4, critical: 0.9 });
    expect(SLOW_NODE_MIN_MS).toEqual({ warning: 10, critical: 100 });
  });
});

describe('seq scan index hint', () => {
  it('fires on the captured Seq Scan, names the column and the exact command', () => {
    const warnings = planWarnings(fixture('seq-scan-filter'));
    // 99% of a 5.686 ms query: info, not critical (item 8); the rows thrown away stay critical.
    expect(kinds(warnings)).toEqual(['critical seq-scan-filter #0', 'info slow-node #0']);
    const hint = warnings[0]!;
    expect(hint.index).toEqual({
      table: 'products',
      column: 'category',
      command: 'perfbench index add --table products --column category',
    });
    expect(hint.message).toBe(
      "Seq Scan on products read 100,000 rows from 1,031 pages and its filter ((category)::text = 'cat-007'::text) " +
        'removed 99,000 (99.0%; thresholds: > 2/3 of rows, ≥ 3 pages)',
    );
    expect(hint.suggestion).toContain('perfbench index add --table products --column category');
  });

  it('fires at 3 pages and not at 2', () => {
    expect(planWarnings(seqScan(10, 90, 3)).map((w) => w.kind)).toContain('seq-scan-filter');
    expect(planWarnings(seqScan(10, 90, 2)).map((w) => w.kind)).not.toContain('seq-scan-filter');
  });

  it('fires above 2/3 removed and not at exactly 2/3', () => {
    // 201 of 300 removed = 67.0% > 2/3; 200 of 300 = exactly 2/3.
    expect(planWarnings(seqScan(99, 201, 10))[0]).toMatchObject({ kind: 'seq-scan-filter', severity: 'warning' });
    expect(planWarnings(seqScan(100, 200, 10))).toEqual([]);
  });

  it('turns critical above 90% removed', () => {
    expect(planWarnings(seqScan(10, 90, 10))[0]!.severity).toBe('warning');
    expect(planWarnings(seqScan(9, 91, 10))[0]!.severity).toBe('critical');
  });

  it('without a simple filter, warns without naming a column', () => {
    const [warning] = planWarnings(seqScan(1, 99, 10, "((a = 1) OR (lower(b) = 'x'::text))"));
    expect(warning!.kind).toBe('seq-scan-filter');
    expect(warning!.index).toBeUndefined();
    expect(warning!.suggestion).toContain('not a simple column comparison');
  });

  it('does not fire without BUFFERS (the page count is unknown)', () => {
    const plan = seqScan(1, 99, 10);
    expect(planWarnings({ ...plan, hasBuffers: false })).toEqual([]);
  });

  it('does not fire on index scans or unfiltered scans', () => {
    expect(planWarnings(fixture('bitmap-heap-scan')).map((w) => w.kind)).not.toContain('seq-scan-filter');
    expect(planWarnings(fixture('sort-disk')).map((w) => w.kind)).not.toContain('seq-scan-filter');
  });
});

describe('filterColumn', () => {
  it.each([
    ["((category)::text = 'cat-007'::text)", 'category'],
    ['(id < 50)', 'id'],
    ["(price > '10'::numeric)", 'price'],
    ['(price >= 10.5)', 'price'],
    ["((p.category)::text = ANY ('{a,b}'::text[]))", 'category'],
    ["((category)::character varying(32) = 'x'::character varying)", 'category'],
    ['("Odd ""Name""" IS NULL)', 'Odd "Name"'],
    ['(x = $1)', 'x'],
  ])('%s -> %s', (filter, column) => {
    expect(filterColumn(filter)).toBe(column);
  });

  it.each([
    "((category)::text <> 'x'::text)",
    "(lower(name) = 'x'::text)",
    '((a = 1) AND (b = 2))',
    '(id = c.top_product_id)',
    "((created_at)::date = '2024-01-01'::date)",
    "(name ~~ 'a%'::text)",
  ])('%s is not simple', (filter) => {
    expect(filterColumn(filter)).toBeNull();
  });
});

describe('indexAddCommand', () => {
  it('quotes only what the shell needs quoted', () => {
    expect(indexAddCommand('products', 'category')).toBe('perfbench index add --table products --column category');
    expect(indexAddCommand('products', "it's odd")).toBe(`perfbench index add --table products --column 'it'\\''s odd'`);
  });
});

describe('misestimates', () => {
  const plan = (estimated: number, actual: number) =>
    parsePlan({
      Plan: { 'Node Type': 'Seq Scan', 'Plan Rows': estimated, 'Actual Rows': actual, 'Actual Loops': 1, 'Actual Total Time': 1 },
      'Execution Time': 100,
    });

  it('fires at 10x, not at 9.9x, and is critical from 100x', () => {
    expect(planWarnings(plan(10, 99))).toEqual([]);
    const [warning] = planWarnings(plan(10, 100));
    expect(warning).toMatchObject({ kind: 'misestimate', severity: 'warning' });
    expect(warning!.message).toBe('Seq Scan: estimated 10 rows per loop, got 100 (10.0x under-estimate; threshold 10x)');
    expect(planWarnings(plan(1000, 10))[0]).toMatchObject({ severity: 'critical' });
    expect(planWarnings(plan(1000, 10))[0]!.message).toContain('100x over-estimate');
  });

  it('fires on the hand-made PG 13 plan (250x) and not on never-executed nodes', () => {
    expect(kinds(planWarnings(fixture('pg13-handmade')))).toContain('critical misestimate #2');
    expect(planWarnings(fixture('never-executed')).map((w) => w.nodeId)).not.toContain(2);
  });
});

describe('spills and parallelism', () => {
  it('flags the captured disk sort', () => {
    const warnings = planWarnings(fixture('sort-disk'));
    expect(kinds(warnings)).toEqual(['warning sort-spill #0', 'warning slow-node #0']);
    expect(warnings[0]!.message).toBe('Sort spilled to disk (external merge using 4,672 kB; threshold: any disk use)');
  });

  it('does not flag an in-memory sort', () => {
    expect(planWarnings(fixture('cte-jit')).map((w) => w.kind)).not.toContain('sort-spill');
  });

  it('flags hash batches > 1, and says when the batches grew at run time', () => {
    const warnings = planWarnings(fixture('hash-batches'));
    const hash = warnings.find((w) => w.kind === 'hash-batches')!;
    expect(hash.nodeId).toBe(2);
    expect(hash.message).toBe('Hash used 16 batches, peak 78 kB per batch (threshold: > 1): the hash table spilled to temp files');
    const grown = parsePlan({
      Plan: { 'Node Type': 'Hash', 'Actual Loops': 1, 'Hash Batches': 8, 'Original Hash Batches': 2 },
    });
    expect(planWarnings(grown)[0]!.message).toBe(
      'Hash used 8 batches, planned 2: the input was larger than estimated (threshold: > 1): the hash table spilled to temp files',
    );
    const single = parsePlan({ Plan: { 'Node Type': 'Hash', 'Actual Loops': 1, 'Hash Batches': 1 } });
    expect(planWarnings(single)).toEqual([]);
  });

  it('flags workers launched < planned, not equal', () => {
    expect(kinds(planWarnings(fixture('pg13-handmade')))).toContain('warning workers-not-launched #0');
    expect(planWarnings(fixture('pg13-handmade')).find((w) => w.kind === 'workers-not-launched')!.message).toBe(
      'Gather Merge launched 1 of 2 planned workers: the query ran with less parallelism than planned',
    );
    expect(planWarnings(fixture('parallel-gather')).map((w) => w.kind)).not.toContain('workers-not-launched');
  });

  it('flags the PG 13 Incremental Sort that spilled in one group', () => {
    expect(kinds(planWarnings(fixture('pg13-handmade')))).toContain('warning sort-spill #1');
  });
});

describe('slow nodes', () => {
  /** A root with `share` of `totalMs` execution on its own, over a child that has the rest. */
  const plan = (share: number, totalMs = 1000) =>
    parsePlan({
      Plan: {
        'Node Type': 'Limit',
        'Actual Loops': 1,
        'Actual Total Time': totalMs,
        Plans: [{ 'Node Type': 'Result', 'Actual Loops': 1, 'Actual Total Time': totalMs * (1 - share) }],
      },
      'Execution Time': totalMs,
    });
  const severityOfRoot = (share: number, totalMs?: number) => planWarnings(plan(share, totalMs)).find((w) => w.nodeId === 0)?.severity;

  it('levels at > 10%, > 40%, > 90% of execution time (pev2) when the node takes long enough', () => {
    expect(severityOfRoot(0.1)).toBeUndefined();
    expect(severityOfRoot(0.105)).toBe('info');
    expect(severityOfRoot(0.4)).toBe('info');
    expect(severityOfRoot(0.41)).toBe('warning');
    expect(severityOfRoot(0.9)).toBe('warning');
    expect(severityOfRoot(0.91)).toBe('critical');
  });

  it('needs ≥ 100 ms of the node\'s own for critical and ≥ 10 ms for a warning (item 8)', () => {
    // 91% of 109 ms = 99.19 ms; of 110 ms = 100.1 ms.
    expect(severityOfRoot(0.91, 109)).toBe('warning');
    expect(severityOfRoot(0.91, 110)).toBe('critical');
    // 41% of 24 ms = 9.84 ms; of 25 ms = 10.25 ms.
    expect(severityOfRoot(0.41, 24)).toBe('info');
    expect(severityOfRoot(0.41, 25)).toBe('warning');
    // Below 10 ms at most info, whatever the share.
    expect(severityOfRoot(0.99, 2.6)).toBe('info');
    expect(severityOfRoot(0.05, 2.6)).toBeUndefined();
  });

  it('states the share and the rule applied', () => {
    const message = (share: number, totalMs: number) => planWarnings(plan(share, totalMs)).find((w) => w.nodeId === 0)!.message;
    expect(message(0.41, 100)).toBe('Limit took 41.000 ms of 100.000 ms execution on its own (41.0%; thresholds: > 40% and ≥ 10 ms)');
    expect(message(0.95, 200)).toBe('Limit took 190.000 ms of 200.000 ms execution on its own (95.0%; thresholds: > 90% and ≥ 100 ms)');
    expect(message(0.95, 20)).toBe('Limit took 19.000 ms of 20.000 ms execution on its own (95.0%; over 90% but under 100 ms: a warning, not critical)');
    expect(message(0.95, 2)).toBe('Limit took 1.900 ms of 2.000 ms execution on its own (95.0%; over 90% but under 10 ms: info only)');
    expect(message(0.2, 2)).toBe('Limit took 0.400 ms of 2.000 ms execution on its own (20.0%; threshold > 10%)');
    // Under 10 ms of its own the advice is not "start tuning here"; from 10 ms on it is.
    const suggestion = (share: number, totalMs: number) => planWarnings(plan(share, totalMs)).find((w) => w.nodeId === 0)!.suggestion;
    expect(suggestion(0.2, 49)).toContain('9.800 ms of its own is little (the query took 49.000 ms)');
    expect(suggestion(0.2, 50)).toBe("start tuning here: this node's own work, not its children's, is where the time goes");
    const empty = parsePlan({ Plan: { 'Node Type': 'Result', 'Actual Loops': 1, 'Actual Total Time': 0 } });
    expect(planWarnings(empty)).toEqual([]);
  });

  it('is info on the fast query that already uses its index, and says the time is little (index-scan-fast, captured)', () => {
    const fast = fixture('index-scan-fast');
    const [warning] = planWarnings(fast);
    // 6.766 of 7.260 ms: over 90%, which was CRITICAL.
    expect(fast.root.exclusiveTimeMs / fast.totalTimeMs).toBeGreaterThan(0.9);
    expect(warning).toMatchObject({ kind: 'slow-node', severity: 'info' });
    expect(warning!.message).toBe(
      `Index Scan using observation_pkey on observation took 6.766 ms of 7.260 ms execution on its own (${((6.766 / 7.26) * 100).toFixed(1)}%; over 90% but under 10 ms: info only)`,
    );
    expect(warning!.suggestion).toBe(
      '6.766 ms of its own is little (the query took 7.260 ms): tune here only if the query runs very often or another warning points here',
    );
  });

  it('sorts critical first, then in plan order', () => {
    const severities = planWarnings(fixture('hash-batches')).map((w) => w.severity);
    expect(severities).toEqual([...severities].sort((a, b) => ['critical', 'warning', 'info'].indexOf(a) - ['critical', 'warning', 'info'].indexOf(b)));
    expect(kinds(planWarnings(fixture('hash-batches')))).toEqual([
      'warning slow-node #0',
      'warning hash-batches #2',
      'warning seq-scan-filter #3',
      'info slow-node #1',
      'info slow-node #3',
    ]);
  });
});
