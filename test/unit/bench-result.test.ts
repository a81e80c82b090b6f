import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { LatencyHistogram } from '../../src/measure/histogram.js';
import { combinePaths, createResult, environmentDifferences, foldTrials, mergeResults, validateResult } from '../../src/measure/result.js';
import { encodeValues, pathOf, resultOf, spread } from './bench-helpers.js';

function bucketsOf(encoded: string) {
  const h = LatencyHistogram.decode(encoded);
  const b = h.buckets();
  h.destroy();
  return b;
}

describe('validateResult', () => {
  const good = resultOf([pathOf('seq', [100, 200, 300])]);
  const roundTrip = (): Record<string, any> => JSON.parse(JSON.stringify(good));

  it('accepts a result written to JSON and read back', () => {
    expect(validateResult(roundTrip())).toEqual(good);
  });

  it('reads a version 1 file (no samples, no plan trees) as the current version', () => {
    const v1 = { ...roundTrip(), schemaVersion: 1 };
    const read = validateResult(v1);
    expect(read.schemaVersion).toBe(2);
    expect(read).toEqual({ ...good, schemaVersion: 2 });
    expect(v1.schemaVersion).toBe(1);
  });

  const rejects = (mutate: (r: Record<string, any>) => unknown, message: RegExp): void => {
    const r = roundTrip();
    const replaced = mutate(r);
    try {
      validateResult(replaced === undefined ? r : replaced, 'base.json');
      expect.unreachable('validateResult accepted a bad file');
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      const e = error as UserError;
      expect(e.exitCode).toBe(ExitCode.usage);
      expect(e.line).toMatch(message);
      expect(e.line).toMatch(/^base\.json: /);
      expect(e.line).not.toMatch(/\n/);
    }
  };

  it('rejects other files, other versions and corruption with one line', () => {
    rejects(() => [1, 2], /expected a JSON object/);
    rejects(() => null, /expected a JSON object/);
    rejects((r) => { r['kind'] = 'k6.summary'; }, /not a perfbench bench result \(kind is "k6.summary"\)/);
    rejects((r) => { delete r['kind']; }, /kind is null/);
    rejects((r) => { r['schemaVersion'] = 0; }, /schemaVersion 0 is older .* re-run the benchmark/);
    rejects((r) => { r['schemaVersion'] = 3; }, /schemaVersion 3 is newer than this perfbench reads \(2\) .* upgrade perfbench/);
    rejects((r) => { r['paths'][0].samples = { intervalMs: 100, points: [{ startMs: 0, endMs: 100 }] }; }, /paths\[0\]\.samples is not a list of intervals/);
    rejects((r) => { delete r['schemaVersion']; }, /schemaVersion is missing/);
    rejects((r) => { r['createdAt'] = 'yesterday'; }, /createdAt/);
    rejects((r) => { r['environment'] = 'x'; }, /environment/);
    rejects((r) => { r['options'] = { mode: 'sideways' }; }, /options\.mode/);
    rejects((r) => { r['paths'] = {}; }, /paths is not an array/);
    rejects((r) => { r['paths'][0] = 'seq'; }, /paths\[0\] is not an object/);
    rejects((r) => { r['paths'][0].name = ''; }, /paths\[0\]\.name/);
    rejects((r) => { r['paths'][0].ops = '3'; }, /paths\[0\]\.ops is not a number/);
    rejects((r) => { r['paths'][0].mode = 'x'; }, /paths\[0\]\.mode/);
    rejects((r) => { r['paths'][0].summary = undefined; }, /paths\[0\]\.summary is missing/);
    rejects((r) => { r['paths'][0].summary.p99Us = null; }, /summary\.p99Us/);
    rejects((r) => { r['paths'][0].histogram = ''; }, /histogram is missing/);
    rejects((r) => { r['paths'][0].histogram = r['paths'][0].histogram.slice(0, 20); }, /paths\[0\]\.histogram is not a valid encoded histogram/);
    rejects((r) => { r['paths'][0].uncorrected = 5; }, /uncorrected is not an object/);
    rejects((r) => { r['paths'][0].uncorrected = { summary: r['paths'][0].summary, histogram: 'AAAA' }; }, /uncorrected\.histogram is not a valid/);
  });

  it('can skip decoding histograms', () => {
    const r = roundTrip();
    r['paths'][0].histogram = 'not base64 at all';
    expect(() => validateResult(r, 'x', false)).not.toThrow();
  });
});

describe('mergeResults', () => {
  it('adds histograms exactly: the merged histogram equals one built from all values', () => {
    const valuesA = spread(5000, 2500, 2000, 1);
    const valuesB = spread(3000, 60_000, 20_000, 2);
    const a = resultOf([pathOf('seq', valuesA, { errors: 2, firstError: 'timeout' }), pathOf('index', valuesA.slice(0, 100))]);
    const b = resultOf([pathOf('seq', valuesB, { errors: 1, firstError: 'later' })], { workers: 2 });
    const merged = mergeResults([a, b]);
    const seq = merged.paths.find((p) => p.name === 'seq')!;
    const all = encodeValues([...valuesA, ...valuesB]);
    expect(bucketsOf(seq.histogram)).toEqual(bucketsOf(all));
    const direct = LatencyHistogram.decode(all);
    expect(seq.summary).toEqual(direct.summarize());
    direct.destroy();
    expect(seq).toMatchObject({ ops: 8000, errors: 3, firstError: 'timeout', sources: 2 });
    expect(seq.throughputOpsPerSec).toBeCloseTo(a.paths[0]!.throughputOpsPerSec + b.paths[0]!.throughputOpsPerSec, 9);
    expect(seq.elapsedMs).toBe(Math.max(a.paths[0]!.elapsedMs, b.paths[0]!.elapsedMs));
    expect(merged.paths.find((p) => p.name === 'index')!.ops).toBe(100);
    expect(merged.options.workers).toBe(3);
    // Single-threaded sources (shards) are processes: the merge records no threads for them.
    expect(mergeResults([a, a]).options.workers).toBeUndefined();
    expect(merged.notes).toBeUndefined();
    expect(merged.comparisons).toBeUndefined();
  });

  it('keeps trials and concurrencies apart, and notes environments that differ', () => {
    const a = resultOf([pathOf('seq', [1, 2], { trial: 1 }), pathOf('seq', [3], { trial: 2 }), pathOf('seq', [4], { concurrency: 4 })]);
    const b = resultOf([pathOf('seq', [5], { trial: 2 })], {}, { node: 'v22.1.0', postgres: '17.0', dataset: 'rows=1000000;categories=1000;seed=42' });
    const merged = mergeResults([a, b]);
    expect(merged.paths.map((p) => [p.trial, p.concurrency, p.ops])).toEqual([[1, 1, 2], [2, 1, 2], [1, 4, 1]]);
    expect(merged.notes).toEqual(['merged results from different environments (node)']);
    expect(() => mergeResults([])).toThrow(UserError);
  });

  it('merges open-loop paths: uncorrected histograms, rates and schedule lag', () => {
    const open = (values: number[], lag: { meanUs: number; maxUs: number; lateOps: number }) =>
      pathOf('cache', values, {
        mode: 'open', coCorrected: true, ratePerSec: 500,
        uncorrected: { summary: pathOf('u', values).summary, histogram: encodeValues(values.map((v) => v / 2)) },
        scheduleLag: lag, eventLoopLag: { meanUs: 10, p99Us: 20, maxUs: 30 }, notes: ['n'], flags: ['client-bound'],
      });
    const merged = combinePaths([open([100, 200], { meanUs: 10, maxUs: 50, lateOps: 1 }), open([300, 400, 500, 600], { meanUs: 40, maxUs: 90, lateOps: 2 })], 'concurrent');
    expect(merged.ratePerSec).toBe(1000);
    expect(merged.scheduleLag).toEqual({ meanUs: 30, maxUs: 90, lateOps: 3 });
    expect(bucketsOf(merged.uncorrected!.histogram)).toEqual(bucketsOf(encodeValues([50, 100, 150, 200, 250, 300])));
    expect(merged.uncorrected!.summary.count).toBe(6);
    expect(merged.eventLoopLag).toEqual({ meanUs: 10, p99Us: 20, maxUs: 30 });
    expect(merged.notes).toEqual(['n']);
    expect(merged.flags).toEqual(['client-bound']);
    // Missing parts on one side drop the field rather than inventing it.
    const mixed = combinePaths([open([1], { meanUs: 0, maxUs: 0, lateOps: 0 }), pathOf('cache', [2])], 'concurrent');
    expect(mixed.uncorrected).toBeUndefined();
    expect(mixed.scheduleLag).toBeUndefined();
    expect(() => combinePaths([], 'concurrent')).toThrow(RangeError);
  });
});

describe('foldTrials', () => {
  it('folds trials sequentially: throughput is total ops over total time', () => {
    const t1 = pathOf('seq', [1000, 1000], { trial: 1 });
    const t2 = pathOf('seq', [3000], { trial: 2, interrupted: true });
    const folded = foldTrials([t1, t2, pathOf('index', [10])]);
    expect(folded.map((p) => p.name)).toEqual(['seq', 'index']);
    expect(folded[0]).toMatchObject({ ops: 3, elapsedMs: 5, throughputOpsPerSec: 600, interrupted: true, sources: 1 });
    expect(folded[0]!.summary.p50Us).toBe(1000);
    expect(folded[0]!.firstError).toBeUndefined();
  });
});

describe('createResult / environmentDifferences', () => {
  it('stamps the contract fields and flags interruption', () => {
    const r = createResult({ environment: {}, options: { mode: 'closed', concurrency: [1], trials: 1, distribution: 'uniform', seed: 1 }, paths: [pathOf('seq', [1], { interrupted: true })], notes: ['x'] });
    expect(r).toMatchObject({ schemaVersion: 2, kind: 'perfbench.bench', interrupted: true, notes: ['x'] });
    expect(Date.parse(r.createdAt)).not.toBeNaN();
  });

  it('lists differing keys deeply and in order', () => {
    expect(environmentDifferences({ node: '20', settings: { jit: 'on' }, cpus: 2 }, { node: '20', settings: { jit: 'off' }, os: 'linux' })).toEqual([
      { key: 'cpus', baseline: 2, current: undefined },
      { key: 'os', baseline: undefined, current: 'linux' },
      { key: 'settings', baseline: { jit: 'on' }, current: { jit: 'off' } },
    ]);
  });
});
