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

const PLANS = ['seq-scan-filter', 'bitmap-heap-scan', 'nested-loop', 'parallel-gather', 'sort-disk', 'never-executed', 'hash-batches', 'cte-jit', 'pg13-handmade', 'pg17-handmade'];

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
