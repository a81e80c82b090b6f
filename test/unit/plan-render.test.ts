import { stripVTControlCharacters } from 'node:util';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { diffPlans } from '../../src/plan/plan-diff.js';
import { planWarnings } from '../../src/plan/plan-warnings.js';
import { parsePlan } from '../../src/plan/plan.js';
import { formatChange, formatFactor, formatInt, formatMisestimate, formatMs, formatSpeedup, shareBar } from '../../src/report/plan-format.js';
import { explainCompareDocument, explainDocument, renderPlanDiffJson, renderPlanJson } from '../../src/report/plan-json.js';
import { renderPlanDiffMarkdown, renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import { renderPlanDiffText, renderPlanText } from '../../src/report/plan-text.js';
import { expectGolden } from '../support/golden.js';
import { fixture, fixtureJson } from './plan-fixture.js';

const PLANS = [
  'seq-scan-filter', 'bitmap-heap-scan', 'nested-loop', 'parallel-gather', 'sort-disk', 'never-executed', 'hash-batches', 'cte-jit', 'pg13-handmade', 'pg17-handmade',
  // The weather set (issue 10, part B): spills per process, rows cut short, repeated parts, CTE and InitPlan time.
  'hashagg-spill-parallel', 'hashagg-spill-workers-only', 'sort-disk-workers', 'limit-top-n', 'limit-hash-join', 'semi-join-early-stop',
  'correlated-subplan', 'nested-loop-inner-seq-scan', 'index-scan-fast', 'hash-grew', 'cte-initplan', 'cte-modifying',
];

describe('plan renderers match their golden files', () => {
  for (const name of PLANS) {
    it(name, () => {
      const plan = fixture(name);
      const warnings = planWarnings(plan);
      expectGolden(`plan-${name}.txt`, renderPlanText(plan, warnings));
      expectGolden(`plan-${name}.md`, renderPlanMarkdown(plan, warnings));
      expectGolden(`plan-${name}.json`, renderPlanJson(plan, warnings));
    });
  }

  it('compare: seq scan -> bitmap heap scan, one run', () => {
    const diff = diffPlans(fixture('seq-scan-filter'), fixture('bitmap-heap-scan'));
    expectGolden('plan-diff-index.txt', renderPlanDiffText(diff));
    expectGolden('plan-diff-index.md', renderPlanDiffMarkdown(diff));
    expectGolden('plan-diff-index.json', renderPlanDiffJson(diff));
  });

  it('compare: several runs, nodes on one side only', () => {
    const run = (name: string, ms: number) => {
      const raw = fixtureJson(name);
      raw[0]['Execution Time'] = ms;
      return parsePlan(raw);
    };
    const diff = diffPlans([run('sort-disk', 70), run('sort-disk', 60), run('sort-disk', 90)], [run('bitmap-heap-scan', 2), run('bitmap-heap-scan', 3), run('bitmap-heap-scan', 2.5)]);
    expectGolden('plan-diff-runs.txt', renderPlanDiffText(diff));
    expectGolden('plan-diff-runs.md', renderPlanDiffMarkdown(diff));
    expectGolden('plan-diff-runs.json', renderPlanDiffJson(diff));
  });
});

describe('text renderer', () => {
  it('shows the figures a DBA looks for on the seq scan', () => {
    const plan = fixture('seq-scan-filter');
    const text = renderPlanText(plan, planWarnings(plan));
    expect(text).toContain('Execution 5.686 ms · Planning 0.317 ms');
    expect(text).toContain(' 99.0% █████████▉ Seq Scan on products  5.629 ms self · 5.629 ms total');
    expect(text).toContain('rows 1,000 (est 977, 1.02x under) · loops 1');
    expect(text).toContain("filter ((category)::text = 'cat-007'::text) removed 99,000");
    expect(text).toContain('→ an index on products(category) lets PostgreSQL read only the matching rows: perfbench index add --table products --column category');
  });

  it('draws the tree with box characters and marks never-executed nodes', () => {
    const text = renderPlanText(fixture('never-executed'));
    expect(text).toContain('├─ Seq Scan on categories c');
    expect(text).toContain('└─ Index Only Scan using products_pkey on products p  never executed');
    expect(text).toContain('No warnings.');
  });

  it('colours only when given a colouring chalk, and the text is otherwise identical', () => {
    const plan = fixture('hash-batches');
    const warnings = planWarnings(plan);
    const plain = renderPlanText(plan, warnings);
    const coloured = renderPlanText(plan, warnings, { chalk: new Chalk({ level: 1 }) });
    expect(plain).not.toMatch(/\u001b\[/);
    expect(coloured).toMatch(/\u001b\[/);
    expect(stripVTControlCharacters(coloured)).toBe(plain);
    const diff = diffPlans(fixture('seq-scan-filter'), fixture('bitmap-heap-scan'));
    const colouredDiff = renderPlanDiffText(diff, { chalk: new Chalk({ level: 1 }) });
    expect(colouredDiff).toMatch(/\u001b\[/);
    expect(stripVTControlCharacters(colouredDiff)).toBe(renderPlanDiffText(diff));
  });

  it('honours the bar width', () => {
    const text = renderPlanText(fixture('seq-scan-filter'), [], { barWidth: 4 });
    expect(text).toContain(' 99.0% ████ Seq Scan on products');
  });

  it('shows header extras and buffer details the captured plans lack', () => {
    const plan = parsePlan({
      Plan: {
        'Node Type': 'Seq Scan',
        'Relation Name': 't',
        'Actual Loops': 1,
        'Actual Total Time': 1,
        'Shared Hit Blocks': 1,
        'Shared Dirtied Blocks': 2,
        'Local Hit Blocks': 3,
        'I/O Read Time': 0.5,
      },
      Triggers: [{ 'Trigger Name': 'audit', Time: 0.25, Calls: 2 }],
      Serialization: { Time: 0.125 },
    });
    const text = renderPlanText(plan);
    expect(text).toContain('Serialization 0.125 ms · Trigger audit 0.250 ms (2 calls)');
    expect(text).toContain('buffers hit 1 read 0 · dirtied 2 written 0 · local hit 3 read 0 · I/O read 0.500 ms write 0.000 ms');
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('**Serialization** 0.125 ms · **Trigger** audit 0.250 ms (2 calls)');
  });
});

describe('what a DBA reads (issue 10, item 10)', () => {
  it('labels buffers as PostgreSQL counts them (with the children) and gives the node\'s own', () => {
    const text = renderPlanText(fixture('sort-disk'));
    // 1,034 hit by the Sort, 1,031 of them by its Seq Scan.
    expect(text).toContain('│  buffers with children hit 1,034 read 0 · temp read 1,734 written 1,928');
    expect(text).toContain(`│  buffers own hit ${1034 - 1031} read 0 · temp read 1,734 written 1,928`);
    // A leaf has no children: its buffers are its own, without a second line.
    expect(text).toContain('      buffers hit 1,031 read 0\n');
    const md = renderPlanMarkdown(fixture('sort-disk'));
    expect(md).toContain('| Hit / read (with children) | Own hit / read |');
    expect(md).toContain('| 1,034 / 0 | 3 / 0 |');
  });

  it('shows rows x loops totals, and removed rows over all loops with the per-loop figure', () => {
    const text = renderPlanText(fixture('correlated-subplan'));
    expect(text).toContain(`rows 2,083/loop × 24 loops = ${(2083 * 24).toLocaleString('en-US')} (est 2,083/loop, exact)`);
    expect(text).toContain(`filter (station_id = s.id) removed ${(397917 * 24).toLocaleString('en-US')} (397,917/loop)`);
    expect(renderPlanMarkdown(fixture('correlated-subplan'))).toContain(`| 2,083 | 24 | ${(2083 * 24).toLocaleString('en-US')} | 2,083 | exact |`);
  });

  it('shows Group Key, Sort Key, and the HashAggregate per process with the disk added up', () => {
    const text = renderPlanText(fixture('hashagg-spill-parallel'));
    expect(text).toContain('group key station_id, rain_mm');
    expect(text).toContain('hashagg 9 batches, peak memory 257 kB, disk 504 kB · planned partitions 8');
    expect(text).toContain(
      'hashagg leader 9 batches, peak memory 257 kB, disk 3,528 kB · worker 0 9 batches, peak memory 257 kB, disk 3,456 kB · ' +
        `worker 1 9 batches, peak memory 257 kB, disk 3,416 kB · planned partitions 8 · ${(3528 + 3456 + 3416).toLocaleString('en-US')} kB on disk in total`,
    );
    expect(renderPlanText(fixture('pg13-handmade'))).toContain('sort key customer_id, created_at (presorted customer_id)');
  });

  it('shows each worker\'s sort and the disk they used together', () => {
    expect(renderPlanText(fixture('sort-disk-workers'))).toContain(
      'sort leader external merge, Disk 3,960 kB · worker 0 external merge, Disk 3,328 kB · worker 1 external merge, Disk 1,568 kB · ' +
        `${(3960 + 3328 + 1568).toLocaleString('en-US')} kB on disk in total`,
    );
  });

  it('shows hash buckets and batches against what was planned', () => {
    expect(renderPlanText(fixture('hash-grew'))).toContain('hash buckets 65,536 (planned 2,048), batches 8 (planned 1), peak memory 1,537 kB');
    expect(renderPlanText(fixture('limit-hash-join'))).toContain('hash buckets 1,024, batches 1, peak memory 10 kB');
  });

  it('says a row count cut short by a node above is not a misestimate, and why', () => {
    const text = renderPlanText(fixture('limit-top-n'));
    expect(text).toContain(
      'rows 20/loop × 3 loops = 60 (est 42,199/loop, cut short, not a misestimate: the Limit (#0) got the 20 rows it was planned to return and stopped reading)',
    );
    expect(text).not.toContain('2110x');
    expect(renderPlanMarkdown(fixture('limit-top-n'))).toContain('| 42,199 | cut short (#0) |');
  });

  it('says how the time of CTEs and InitPlans was counted', () => {
    const text = renderPlanText(fixture('cte-initplan'));
    expect(text).toContain('Time of CTEs and InitPlans');
    expect(text).toContain(
      'CTE wet (#1, 393.747 ms) runs inside the CTE Scans that read it, so its time is counted once: taken off #3 CTE Scan on wet (393.747 ms), the scan that pulled its rows.',
    );
    expect(text).toContain(
      `InitPlan 3 (returns $2) (#2, 464.265 ms) hangs under #0 but ran inside #4 Bitmap Index Scan using station_pkey, which uses its value: ` +
        `${(464.31 + 464.265 + 49.548 - 514.042).toFixed(3)} ms taken off #4, not off #0.`,
    );
    expect(renderPlanText(fixture('cte-modifying'))).toContain(
      'the other 399.847 ms ran after the main query had finished (PostgreSQL completes a data-modifying CTE at the end of the statement): inside the execution time, outside #0\'s total.',
    );
    expect(renderPlanMarkdown(fixture('cte-initplan'))).toContain('### Time of CTEs and InitPlans');
    expect(renderPlanText(fixture('seq-scan-filter'))).not.toContain('Time of CTEs');
  });

  it('puts the new figures in the JSON, with every key present', () => {
    const doc = explainDocument(fixture('hashagg-spill-workers-only'));
    expect(doc.nodes[2]).toMatchObject({
      totalRows: 4800 * 2,
      groupKey: ['station_id', 'rain_mm'],
      hashAgg: { plannedPartitions: 8, processes: [{ worker: 0, batches: 9, peakMemoryKb: 257, diskKb: 7232 }, { worker: 1, batches: 9, peakMemoryKb: 257, diskKb: 7176 }] },
    });
    expect(explainDocument(fixture('sort-disk-workers')).nodes[2]!.sortWorkers).toEqual([
      { worker: 0, method: 'external merge', spaceKb: 3328, spaceType: 'Disk' },
      { worker: 1, method: 'external merge', spaceKb: 1568, spaceType: 'Disk' },
    ]);
    expect(explainDocument(fixture('limit-top-n')).nodes[2]!.stoppedEarly).toEqual({
      byNodeId: 0,
      reason: 'the Limit (#0) got the 20 rows it was planned to return and stopped reading',
    });
    expect(explainDocument(fixture('hash-grew')).nodes[3]!.hashBuckets).toEqual({ buckets: 65536, originalBuckets: 2048 });
    const cte = explainDocument(fixture('cte-modifying')).summary;
    expect(cte.afterRootMs).toBe(Number((400.34 - 0.493).toFixed(3)));
    expect(cte.timeAttribution[0]).toMatchObject({ name: 'CTE gone', takenFrom: [{ nodeId: 3, timeMs: 0.493 }] });
  });
});

describe('markdown renderer', () => {
  it('escapes pipes and backticks inside cells', () => {
    const plan = parsePlan({
      Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 't', 'Actual Loops': 1, Filter: "(a = 'x|`y')", 'Rows Removed by Filter': 1 },
    });
    const md = renderPlanMarkdown(plan);
    expect(md).toContain("`` filter (a = 'x\\|`y') removed 1 ``");
    expect(md).not.toContain('Buffers');
  });
});

describe('json renderer', () => {
  it('is versioned, embeds the raw plan and rounds derived figures', () => {
    const plan = fixture('nested-loop');
    const doc = explainDocument(plan, planWarnings(plan));
    expect(doc.schemaVersion).toBe(1);
    expect(doc.kind).toBe('perfbench.explain');
    expect(doc.plan).toEqual(fixtureJson('nested-loop'));
    // 0.551 - 0.515 = 0.03600000000000003 in floating point: rounded to the microsecond.
    expect(doc.nodes[0]!.exclusiveTimeMs).toBe(0.036);
    expect(doc.nodes[2]!).toMatchObject({ loops: 50, inclusiveTimeMs: 0.5, indexes: ['products_pkey'], misestimateFactor: 1 });
    expect(doc.summary).toMatchObject({ executionTimeMs: 0.601, nodeCount: 3, jitTimeMs: null, slowestNode: { id: 2, exclusiveTimeMs: 0.5 } });
    expect(JSON.parse(renderPlanJson(plan))).toEqual(JSON.parse(JSON.stringify(explainDocument(plan))));
  });

  it('keeps every key present with null for absent values', () => {
    const doc = explainDocument(fixture('never-executed'));
    const never = doc.nodes[2]!;
    expect(never).toMatchObject({ neverExecuted: true, misestimateFactor: null, misestimateDirection: null, sort: null, hash: null, workers: null });
    expect(Object.keys(never)).toEqual(Object.keys(doc.nodes[0]!));
  });

  it('compare document: rounded speed-up and swaps', () => {
    const doc = explainCompareDocument(diffPlans(fixture('seq-scan-filter'), fixture('bitmap-heap-scan')));
    expect(doc).toMatchObject({
      schemaVersion: 1,
      kind: 'perfbench.explain-compare',
      speedup: 2.85,
      swaps: [{ relation: 'products', before: 'Seq Scan on products', after: 'Bitmap Heap Scan on products using products_category_idx' }],
    });
    const noTime = explainCompareDocument(diffPlans(fixture('seq-scan-filter'), { ...fixture('bitmap-heap-scan'), totalTimeMs: 0 }));
    expect(noTime.speedup).toBeNull();
    expect(noTime.pairedSpeedup).toBeNull();
  });
});

describe('formatting helpers', () => {
  it('formats without the machine locale', () => {
    expect(formatInt(1234567.4)).toBe('1,234,567');
    expect(formatInt(-1234)).toBe('-1,234');
    expect(formatMs(1234.5678)).toBe('1,234.568 ms');
    expect(formatFactor(2.854)).toBe('2.85x');
    expect(formatFactor(250.4)).toBe('250x');
    expect(formatMisestimate(null)).toBe('');
    expect(formatSpeedup(0.5)).toBe('2.00x slower');
    expect(formatSpeedup(null)).toBe('n/a');
    expect(formatChange(0, 0)).toBe('±0.0%');
    expect(formatChange(0, 5)).toBe('n/a');
    expect(formatChange(5, 5)).toBe('±0.0%');
    expect(formatChange(100, 110)).toBe('+10.0%');
  });

  it('draws bars in eighths of a cell and clamps the share', () => {
    expect(shareBar(0, 4)).toBe('    ');
    expect(shareBar(0.5, 4)).toBe('██  ');
    expect(shareBar(1 / 32, 4)).toBe('▏   ');
    expect(shareBar(2, 4)).toBe('████');
    expect(shareBar(-1, 4)).toBe('    ');
  });
});
