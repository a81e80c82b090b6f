/**
 * bench --workload's result fields (pure): per-statement histograms validated when present, added
 * exactly by merge and by folding trials; the statement table, tps/failures/retries lines and the
 * CSV statements table, with exact figures from a fake histogram.
 */
import { describe, expect, it } from 'vitest';
import { foldTrials, mergeResults, validateResult, type PathResult, type StatementRecord } from '../../src/measure/result.js';
import { summarizeEncoded } from '../../src/measure/histogram.js';
import { renderBenchCsv } from '../../src/report/bench-csv.js';
import { renderBenchMarkdown } from '../../src/report/bench-markdown.js';
import { renderBenchTable } from '../../src/report/bench-table.js';
import { encodeValues, pathOf, resultOf } from './bench-helpers.js';

function statement(name: string, values: number[], errors = 0): StatementRecord {
  const histogram = encodeValues(values);
  return { script: 'orders.sql', name, line: 3, access: 'read', ops: values.length, errors, summary: summarizeEncoded(histogram), histogram };
}

function workloadPath(name: string, trial: number, values: number[], extra: Partial<PathResult> = {}): PathResult {
  return pathOf(name, values, {
    trial,
    statements: [statement('by_customer', values)],
    scripts: [{ name: 'orders.sql', ops: values.length, errors: 0 }],
    failures: { '40001': 1 },
    retries: 2,
    ...extra,
  });
}

describe('bench --workload result fields', () => {
  const result = resultOf([
    workloadPath('as-is', 1, [1000, 2000, 3000]),
    workloadPath('as-is', 2, [4000, 5000]),
    workloadPath('cache', 1, [100, 200], { cacheHits: 1, cacheMisses: 1 }),
  ]);

  it('are validated when present and refused when corrupt', () => {
    expect(validateResult(JSON.parse(JSON.stringify(result)))).toBeTruthy();
    const bad = JSON.parse(JSON.stringify(result));
    bad.paths[0].statements[0].histogram = 'not-a-histogram';
    expect(() => validateResult(bad, 'r.json')).toThrow(/paths\[0\]\.statements\[0\]\.histogram is not a valid encoded histogram/);
    const badFailures = JSON.parse(JSON.stringify(result));
    badFailures.paths[0].failures = { '40001': 'x' };
    expect(() => validateResult(badFailures, 'r.json')).toThrow(/failures is not a count by SQLSTATE/);
  });

  it('fold trials and merge sources by adding statement histograms and counts', () => {
    const asIs = foldTrials(result.paths)[0]!;
    expect(asIs.statements![0]!.ops).toBe(5);
    expect(asIs.statements![0]!.summary.count).toBe(5);
    expect(asIs.statements![0]!.summary.maxUs).toBeGreaterThanOrEqual(4995);
    expect(asIs.scripts).toEqual([{ name: 'orders.sql', ops: 5, errors: 0 }]);
    expect(asIs.failures).toEqual({ '40001': 2 });
    expect(asIs.retries).toBe(4);
    const merged = mergeResults([result, result]);
    const first = merged.paths.find((p) => p.name === 'cache')!;
    expect(first.statements![0]!.summary.count).toBe(4);
    expect([first.cacheHits, first.cacheMisses]).toEqual([2, 2]);
  });

  it('render a statements table, tps/failures/retries lines and a CSV statements table only when present', () => {
    const text = renderBenchTable(result, []);
    expect(text).toContain('Statements (like pgbench -r');
    expect(text).toMatch(/│ as-is +│ +1 │ orders\.sql │ by_customer │ +3 │ +5 │ +0 │/);
    expect(text).toContain('as-is (concurrency 1): tps');
    expect(text).toContain('failures 40001 x2 · 4 retries');
    expect(text).toContain('cache 1 hit of 2 reads (50.0%)');
    expect(renderBenchMarkdown(result, [])).toContain('### Statements');
    const csv = renderBenchCsv(result);
    expect(csv).toContain('\r\n\r\npath,concurrency,trial,script,statement,line,access,ops,errors,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\r\n');
    expect(csv).toContain('as-is,1,2,orders.sql,by_customer,3,read,2,0,');
    const plain = resultOf([pathOf('seq', [1000])]);
    expect(renderBenchTable(plain, [])).not.toContain('Statements');
    expect(renderBenchCsv(plain)).not.toContain('statement');
  });
});
