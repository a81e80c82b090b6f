/**
 * A path whose plan changes mid-run (issue 15, item 1): what counts as a change, how the gate and
 * the exit code treat it. The capture itself runs against PostgreSQL in
 * test/integration/concurrent-runs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { gate } from '../../src/measure/gate.js';
import type { PlanSummary } from '../../src/targets/path.js';
import { renderGateMarkdown, renderGateText } from '../../src/report/bench-gate.js';
import { planAccess, planChange } from '../../src/targets/plan-check.js';
import { benchVerdict, type BenchOutcome } from '../../src/usecases/bench.js';
import { pathOf, resultOf, spread } from './bench-helpers.js';

const plan = (scanType: string, indexes: string[], scan = `${scanType} on t${indexes.length ? ` using ${indexes.join(', ')}` : ''}`): PlanSummary => ({
  category: 'cat-01', root: 'Sort', scan, scanType, indexes, usesIndex: indexes.length > 0,
  sharedHitBlocks: 0, sharedReadBlocks: 0, executionTimeMs: 1, planningTimeMs: 0.1,
});

describe('plan change', () => {
  it('is a change of the access (through which index, or none), not of the scan variant', () => {
    const indexScan = plan('Index Scan', ['t_c_btree_pb']);
    const bitmap = plan('Bitmap Heap Scan', ['t_c_btree_pb']);
    const seq = plan('Seq Scan', []);
    const parallel = plan('Parallel Seq Scan', []);
    expect(planAccess(indexScan)).toBe(planAccess(bitmap));
    expect(planAccess(seq)).toBe(planAccess(parallel));
    expect(planChange('index', indexScan, bitmap)).toBeUndefined();
    expect(planChange('seq', seq, parallel)).toBeUndefined();
    expect(planChange('index', indexScan, plan('Index Scan', ['t_other']))).toMatch(/^PLAN CHANGED during the run/);
    expect(planChange('index', bitmap, seq)).toBe(
      'PLAN CHANGED during the run: the index path first read the table with Bitmap Heap Scan on t using t_c_btree_pb, later with Seq Scan on t; ' +
      "its figures mix two plans (did another session change the table's indexes?)");
  });
});

describe('a plan-changed path', () => {
  const paths = (flagged: boolean) => [1, 2, 3].flatMap((trial) => [
    pathOf('seq', spread(300, 65_000, 15_000, trial), { trial }),
    pathOf('index', spread(3000, 2600, 900, trial + 10), { trial, ...(flagged && trial === 2 ? { flags: ['plan-changed'] } : {}) }),
  ]);

  it('is not compared by the gate, which says it failed', () => {
    const report = gate(resultOf(paths(true), { trials: 3 }), resultOf(paths(false), { trials: 3 }), { thresholdPct: 10 });
    expect(report.verdicts.map((v) => [v.path, v.verdict])).toEqual([['seq', 'ok'], ['index', 'plan-changed']]);
    expect(report.warnings).toContain('index (concurrency 1): its plan changed during the run; not compared with the baseline');
    const text = renderGateText(report);
    expect(text).toContain('index c=1  PLAN CHANGED');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Gate FAILED: the plan of index c=1 changed during the run; its figures are not comparable.');
    expect(renderGateMarkdown(report)).toContain(':x: **Failed** (a plan changed during the run)');
  });

  it('makes the run exit 1, even when the gate passes, with one line saying why', () => {
    const current = resultOf(paths(true), { trials: 3 });
    const outcome: BenchOutcome = {
      result: current, comparisons: [], warnings: [], interrupted: false,
      gate: gate(current, resultOf(paths(false), { trials: 3 }), { thresholdPct: 10 }),
    };
    const verdict = benchVerdict(outcome, true);
    expect(verdict.exitCode).toBe(1);
    expect(verdict.lines.at(-1)).toBe('perfbench: the plan of index changed during the run; its figures mix two plans — see the PLAN CHANGED warning, ' +
      "keep other sessions from changing the table's indexes while perfbench runs, and run again");
    // Without the flag the same run passes.
    const clean = resultOf(paths(false), { trials: 3 });
    expect(benchVerdict({ result: clean, comparisons: [], warnings: [], interrupted: false }, true).exitCode).toBe(0);
  });
});
