import { describe, expect, it } from 'vitest';
import { gate } from '../../src/measure/gate.js';
import { pathOf, resultOf, spread } from './bench-helpers.js';

/** A run of the same build: every path drawn from the same distribution, another seed. */
function run(seed: number, factor = 1, trials = 1) {
  const paths = [];
  for (let trial = 1; trial <= trials; trial++) {
    const s = seed * 100 + trial;
    paths.push(pathOf('seq', spread(300, 65_000 * factor, 15_000 * factor, s), { trial }));
    paths.push(pathOf('index', spread(3000, 2600 * factor, 900 * factor, s + 1), { trial }));
    paths.push(pathOf('cache', spread(5000, 120 * factor, 60 * factor, s + 2), { trial }));
  }
  return resultOf(paths, { trials });
}

describe('regression gate', () => {
  it('does not trip on two runs of the same distribution', () => {
    const report = gate(run(2), run(1), { thresholdPct: 10 });
    expect(report.tripped).toBe(false);
    expect(report.verdicts.map((v) => [v.path, v.verdict, v.method])).toEqual([
      ['seq', 'ok', 'bootstrap'], ['index', 'ok', 'bootstrap'], ['cache', 'ok', 'bootstrap'],
    ]);
    expect(report.warnings).toEqual([]);
    expect(report.environment).toEqual([]);
    expect(report.rule).toMatch(/lower bound is more than 10% above the baseline's upper bound/);
  });

  it('does not flake: 40 unchanged pairs at a 5% threshold, none trips', () => {
    for (let i = 0; i < 40; i++) {
      expect(gate(run(100 + i), run(200 + i), { thresholdPct: 5, resamples: 500 }).tripped).toBe(false);
    }
  });

  it('trips on a run twice as slow, with the interval in the check', () => {
    const report = gate(run(2, 2), run(1), { thresholdPct: 10 });
    expect(report.tripped).toBe(true);
    const index = report.verdicts.find((v) => v.path === 'index')!;
    expect(index.verdict).toBe('regressed');
    const p50 = index.checks.find((c) => c.percentile === 50)!;
    expect(p50.verdict).toBe('regressed');
    expect(p50.changePct).toBeGreaterThan(80);
    expect(p50.lowPct).toBeGreaterThan(10);
    expect(p50.lowPct).toBeLessThanOrEqual(p50.changePct);
    expect(p50.highPct).toBeGreaterThanOrEqual(p50.changePct);
  });

  it('reports a run twice as fast as improved, not tripped', () => {
    const report = gate(run(2, 0.5), run(1), { thresholdPct: 10 });
    expect(report.tripped).toBe(false);
    expect(report.verdicts.every((v) => v.verdict === 'improved')).toBe(true);
  });

  it('uses trial ranges with >= 3 trials on both sides', () => {
    const same = gate(run(3, 1, 3), run(4, 1, 3), { thresholdPct: 10 });
    expect(same.verdicts.every((v) => v.method === 'trials' && v.verdict === 'ok')).toBe(true);
    const slower = gate(run(3, 1.5, 3), run(4, 1, 3), { thresholdPct: 10, percentiles: [50] });
    expect(slower.tripped).toBe(true);
    expect(slower.verdicts[0]!.checks).toHaveLength(1);
    // The rule, by hand: lower bound = fastest current trial / slowest baseline trial.
    const cur = run(3, 1.5, 3).paths.filter((p) => p.name === 'seq').map((p) => p.summary.p50Us);
    const base = run(4, 1, 3).paths.filter((p) => p.name === 'seq').map((p) => p.summary.p50Us);
    const check = slower.verdicts.find((v) => v.path === 'seq')!.checks[0]!;
    expect(check.lowPct).toBeCloseTo((Math.min(...cur) / Math.max(...base) - 1) * 100, 9);
    expect(check.highPct).toBeCloseTo((Math.max(...cur) / Math.min(...base) - 1) * 100, 9);
    const lowPct = check.lowPct;
    expect(gate(run(3, 1.5, 3), run(4, 1, 3), { thresholdPct: lowPct + 0.5, percentiles: [50] }).verdicts.find((v) => v.path === 'seq')!.verdict).toBe('ok');
    expect(gate(run(3, 1.5, 3), run(4, 1, 3), { thresholdPct: lowPct - 0.5, percentiles: [50] }).verdicts.find((v) => v.path === 'seq')!.verdict).toBe('regressed');
  });

  it('handles paths without a baseline or without data, and warns about differences', () => {
    const current = resultOf(
      [pathOf('seq', [100, 200]), pathOf('miss', [500]), pathOf('index', [], { errors: 10 })],
      { distribution: 'zipf' },
      { node: 'v22.0.0', postgres: '17.0', dataset: 'rows=1000000;categories=1000;seed=42' },
    );
    const baseline = resultOf([pathOf('seq', [100, 200]), pathOf('index', [100])]);
    const report = gate(current, baseline, { thresholdPct: 10 });
    expect(report.verdicts.map((v) => [v.path, v.verdict])).toEqual([['seq', 'ok'], ['miss', 'no-baseline'], ['index', 'no-data']]);
    expect(report.tripped).toBe(false);
    expect(report.environment).toEqual([{ key: 'node', baseline: 'v20.0.0', current: 'v22.0.0' }]);
    expect(report.warnings).toEqual([
      'index (concurrency 1): no successful operations in the current run; not compared',
      'the baseline ran in a different environment (node); differences may not be regressions',
      'the baseline ran with different options (distribution)',
    ]);
    expect(() => gate(current, baseline, { thresholdPct: 0 })).toThrow(RangeError);
    expect(() => gate(current, baseline, { thresholdPct: 100 })).toThrow(RangeError);
  });
});
