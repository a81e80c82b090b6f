/**
 * Issue 15, item 5: a path with no successful operation has no latency and no speed-up. Every
 * reporter shows "—" where its figures would be and says why; the run exits 1.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { compareResult } from '../../src/measure/compare.js';
import { validateResult } from '../../src/measure/result.js';
import { renderBenchCsv, renderSpeedupCsv } from '../../src/report/bench-csv.js';
import { renderBenchJson } from '../../src/report/bench-json.js';
import { renderBenchMarkdown } from '../../src/report/bench-markdown.js';
import { renderBenchTable } from '../../src/report/bench-table.js';
import { benchVerdict, type BenchOutcome } from '../../src/usecases/bench.js';
import { pathOf, resultOf } from './bench-helpers.js';

/** The run of the issue: Redis refused writes, so the cache fill failed and every miss's SET failed. */
function refusedWrites() {
  const result = resultOf([
    pathOf('seq', Array(50).fill(10_375)),
    pathOf('index', Array(500).fill(1_000)),
    pathOf('cache', [], { kind: 'cache', errors: 1, firstError: "setup: OOM command not allowed when used memory > 'maxmemory'.", flags: ['setup-failed'] }),
    pathOf('miss', [], { kind: 'cache', errors: 412, firstError: "OOM command not allowed when used memory > 'maxmemory'." }),
  ]);
  return { result, comparisons: compareResult(result, { resamples: 50 }) };
}

const rowOf = (text: string, start: RegExp): string => text.split('\n').find((line) => start.test(line)) ?? '';

describe('a path with no successful operation', () => {
  const { result, comparisons } = refusedWrites();

  it('has no speed-up against any path, and the comparison says why', () => {
    const byPair = new Map(comparisons.map((c) => [`${c.path}/${c.baseline}`, c]));
    expect(byPair.get('index/seq')).toMatchObject({ method: 'bootstrap', p50: { estimate: 10.375 } });
    expect(byPair.get('cache/seq')).toMatchObject({ method: 'none', p50: null, p99: null, reason: 'cache had no successful operation (1 error)' });
    expect(byPair.get('cache/index')).toMatchObject({ method: 'none', p50: null, p99: null });
    expect(byPair.get('miss/seq')).toMatchObject({ method: 'none', reason: 'miss had no successful operation (412 errors)' });
  });

  it('shows — in the terminal table (latency and speed-up) and says why', () => {
    const text = renderBenchTable(result, comparisons);
    expect(text).not.toMatch(/10,375x|\d{4,}x/);
    // Path, Conc., Ops, Errors, ops/s, then six latency columns: every one of them "—".
    expect(rowOf(text, /^│ cache /).split('│').slice(6, 12).map((cell) => cell.trim())).toEqual(Array(6).fill('—'));
    const speedUp = rowOf(text, /^│ cache .*│ seq /);
    expect(speedUp).toMatch(/│ +— │ +— │ no speed-up: cache had no successful operation \(1 error\)/);
    expect(text).toContain('! cache (concurrency 1): no successful operation, so no latency and no speed-up (shown as —)');
    expect(text).toContain('! miss (concurrency 1): 412 errors, first: OOM command not allowed');
  });

  it('shows — in Markdown and says why', () => {
    const md = renderBenchMarkdown(result, comparisons);
    expect(rowOf(md, /^\| `cache` \| 1 \| 0 \|/)).toBe('| `cache` | 1 | 0 | 1 | 0.0 | — | **—** | — | **—** | — | — |');
    expect(rowOf(md, /^\| `miss` \| `seq` \|/)).toBe('| `miss` | `seq` | 1 | — | — | no speed-up: miss had no successful operation (412 errors) |');
    expect(md).toContain(':warning: cache (concurrency 1): no successful operation, so no latency and no speed-up (shown as —)');
  });

  it('leaves the latency fields of CSV empty, flags the row, and gives the speed-up rows a reason', () => {
    const csv = renderBenchCsv(result).split('\r\n');
    const header = csv[0]!.split(',');
    const cache = csv.find((line) => line.startsWith('cache,'))!;
    const fields = cache.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, ''));
    const at = (name: string): string => fields[header.indexOf(name)]!;
    for (const name of ['mean_ms', 'min_ms', 'p50_ms', 'p99_ms', 'max_ms']) expect(at(name), name).toBe('');
    expect(at('flags')).toBe('setup-failed;no-successful-operations');
    expect(csv.find((line) => line.startsWith('seq,'))!).not.toContain('no-successful-operations');
    const speedUps = renderSpeedupCsv(comparisons);
    expect(speedUps).toContain('\r\ncache,seq,closed,1,,,,,,,none,0,,cache had no successful operation (1 error)\r\n');
    expect(speedUps.split('\r\n').filter(Boolean).every((line) => line.split(',').length >= 14)).toBe(true);
  });

  it('writes null speed-ups with their reason in JSON, and the file still validates', () => {
    const json = JSON.parse(renderBenchJson(result, comparisons)) as { comparisons: Array<Record<string, unknown>> };
    expect(json.comparisons.find((c) => c['path'] === 'cache' && c['baseline'] === 'seq')).toEqual({
      path: 'cache', baseline: 'seq', mode: 'closed', concurrency: 1, p50: null, p99: null, method: 'none', trials: 0,
      reason: 'cache had no successful operation (1 error)',
    });
    expect(() => validateResult(json)).not.toThrow();
  });

  it('fails the run (exit 1), also when the path counted no error', () => {
    const outcome: BenchOutcome = { result, comparisons, warnings: [], interrupted: false };
    const verdict = benchVerdict(outcome, false);
    expect(verdict.exitCode).toBe(ExitCode.failure);
    expect(verdict.lines).toContain('perfbench: cache, miss had no successful operation, so no latency and no speed-up (shown as —); see the warnings');

    // No error, no operation (e.g. a run of 0 s): still no figures, still exit 1.
    const silent = resultOf([pathOf('seq', [1000]), pathOf('index', [])]);
    expect(benchVerdict({ result: silent, comparisons: compareResult(silent), warnings: [], interrupted: false }, false).exitCode).toBe(ExitCode.failure);
    // A no-op path with nothing recorded is not a benchmark figure.
    const noop = resultOf([pathOf('seq', [1000]), pathOf('noop', [], { kind: 'noop' })]);
    expect(benchVerdict({ result: noop, comparisons: compareResult(noop), warnings: [], interrupted: false }, false).exitCode).toBe(ExitCode.ok);
  });
});
