/**
 * Measurement domain (pure): the regression gate: is the current run slower than the baseline by
 * more than a threshold, at p50 or p99, beyond the noise of either run?
 *
 * Why not compare the two point estimates: REFERENCE.md ("Benchmark semantics") notes that a gate on
 * a single run's p50 with a 10% threshold tripped on 14–16% of unchanged builds in one public
 * project. So the gate works on intervals and trips only when the *whole* interval of the
 * slow-down says "slower by more than the threshold":
 *
 *   slow-down interval = [current low / baseline high, current high / baseline low]
 *   regressed  when  current low / baseline high > 1 + threshold
 *   improved   when  current high / baseline low < 1 - threshold
 *
 * where low/high are, per side, the min and max of the percentile over its trials when both sides
 * have at least `minTrials` trials (`trials`), or else the `confidence` bootstrap interval of the
 * percentile over the side's folded histogram (`bootstrap`). Comparing the far ends of the two
 * intervals is deliberately conservative: a gate that cries wolf gets switched off.
 */
import { bootstrapPercentile, percentileOf, quantile } from './bootstrap.js';
import {
  DEFAULT_BOOTSTRAP_SEED, DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, distributionOf, floorUs,
  type GatedPercentile, type IntervalMethod,
} from './compare.js';
import { seededRandom } from './random.js';
import { environmentDifferences, groupPaths, pathKey, type BenchResult, type EnvironmentDifference, type PathResult } from './result.js';

/**
 * `plan-changed`: the path's plan changed during the run, so its figures mix two plans; it is not
 * compared, and the run fails (exit 1) rather than pass on such figures.
 */
export type Verdict = 'ok' | 'regressed' | 'improved' | 'no-baseline' | 'no-data' | 'plan-changed';

/** One percentile of one path against the baseline. */
export interface PercentileCheck {
  percentile: GatedPercentile;
  baselineUs: number;
  currentUs: number;
  /** Point change, percent (+ = slower). Informative only: the verdict uses the interval. */
  changePct: number;
  /** The slow-down interval, percent: (ratio - 1) x 100 at both ends. */
  lowPct: number;
  highPct: number;
  verdict: 'ok' | 'regressed' | 'improved';
}

export interface PathVerdict {
  path: string;
  mode: string;
  concurrency: number;
  verdict: Verdict;
  /** Empty for no-baseline / no-data. */
  checks: PercentileCheck[];
  method?: IntervalMethod;
}

export interface GateReport {
  /** True when any path regressed: the CLI exits with ExitCode.regression (3). */
  tripped: boolean;
  thresholdPct: number;
  verdicts: PathVerdict[];
  /** Environment keys that differ from the baseline's (compare with care when not empty). */
  environment: EnvironmentDifference[];
  /** One-line warnings for the user (environment or options differ, paths without data). */
  warnings: string[];
  /** The rule applied, in one sentence, for reports. */
  rule: string;
}

export interface GateOptions {
  /** Slow-down that trips the gate, percent (10 = 10% slower). */
  thresholdPct: number;
  percentiles?: readonly GatedPercentile[];
  minTrials?: number;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

/** Options whose difference makes the two runs measure different things (driver: --driver libpq times another client than node-postgres). */
const COMPARABLE_OPTIONS = ['mode', 'ratePerSec', 'distribution', 'skew', 'seed', 'categories', 'driver'] as const;

export function gate(current: BenchResult, baseline: BenchResult, options: GateOptions): GateReport {
  const threshold = options.thresholdPct / 100;
  if (!(threshold > 0 && threshold < 1)) throw new RangeError('thresholdPct must be between 0 and 100');
  const percentiles = options.percentiles ?? [50, 99];
  const baseGroups = groupPaths(baseline.paths);
  const verdicts: PathVerdict[] = [];
  const warnings: string[] = [];
  for (const group of groupPaths(current.paths).values()) {
    const first = group[0]!;
    const head = { path: first.name, mode: first.mode, concurrency: first.concurrency };
    const base = baseGroups.get(keyOf(first));
    if (group.some((p) => p.flags?.includes('plan-changed'))) {
      verdicts.push({ ...head, verdict: 'plan-changed', checks: [] });
      warnings.push(`${first.name} (concurrency ${first.concurrency}): its plan changed during the run; not compared with the baseline`);
      continue;
    }
    if (!base) {
      verdicts.push({ ...head, verdict: 'no-baseline', checks: [] });
      continue;
    }
    if (sumOps(group) === 0 || sumOps(base) === 0) {
      verdicts.push({ ...head, verdict: 'no-data', checks: [] });
      warnings.push(`${first.name} (concurrency ${first.concurrency}): no successful operations in the ${sumOps(group) === 0 ? 'current run' : 'baseline'}; not compared`);
      continue;
    }
    const { method, bounds } = intervalsFor(group, base, percentiles, options);
    const checks = percentiles.map((percentile, i): PercentileCheck => {
      const b = bounds[i]!;
      const low = floorUs(b.current.low) / floorUs(b.baseline.high);
      const high = floorUs(b.current.high) / floorUs(b.baseline.low);
      const verdict = low > 1 + threshold ? 'regressed' : high < 1 - threshold ? 'improved' : 'ok';
      return {
        percentile,
        baselineUs: b.baseline.point,
        currentUs: b.current.point,
        changePct: (floorUs(b.current.point) / floorUs(b.baseline.point) - 1) * 100,
        lowPct: (low - 1) * 100,
        highPct: (high - 1) * 100,
        verdict,
      };
    });
    const verdict = checks.some((c) => c.verdict === 'regressed') ? 'regressed' : checks.some((c) => c.verdict === 'improved') ? 'improved' : 'ok';
    verdicts.push({ ...head, verdict, checks, method });
  }
  const environment = environmentDifferences(baseline.environment, current.environment);
  if (environment.length) {
    warnings.push(`the baseline ran in a different environment (${environment.map((d) => d.key).join(', ')}); differences may not be regressions`);
  }
  const optionDiffs = COMPARABLE_OPTIONS.filter((k) => JSON.stringify(baseline.options[k]) !== JSON.stringify(current.options[k]));
  if (optionDiffs.length) warnings.push(`the baseline ran with different options (${optionDiffs.join(', ')})`);
  return {
    tripped: verdicts.some((v) => v.verdict === 'regressed'),
    thresholdPct: options.thresholdPct,
    verdicts,
    environment,
    warnings,
    rule: `regressed when the current run's lower bound is more than ${options.thresholdPct}% above the baseline's upper bound (p${percentiles.join('/p')})`,
  };
}

interface Bounds {
  point: number;
  low: number;
  high: number;
}

function intervalsFor(
  current: readonly PathResult[],
  baseline: readonly PathResult[],
  percentiles: readonly GatedPercentile[],
  options: GateOptions,
): { method: IntervalMethod; bounds: Array<{ current: Bounds; baseline: Bounds }> } {
  const minTrials = options.minTrials ?? 3;
  const withOps = (paths: readonly PathResult[]): PathResult[] => paths.filter((p) => p.ops > 0);
  const c = withOps(current);
  const b = withOps(baseline);
  if (c.length >= minTrials && b.length >= minTrials) {
    const range = (paths: PathResult[], percentile: GatedPercentile): Bounds => {
      const values = Float64Array.from(paths, (p) => (percentile === 50 ? p.summary.p50Us : p.summary.p99Us));
      return { point: quantile(values, 0.5), low: values[0]!, high: values[values.length - 1]! };
    };
    return { method: 'trials', bounds: percentiles.map((p) => ({ current: range(c, p), baseline: range(b, p) })) };
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const cd = distributionOf(c);
  const bd = distributionOf(b);
  const interval = (d: ReturnType<typeof distributionOf>, percentile: GatedPercentile, salt: number): Bounds => {
    const samples = bootstrapPercentile(d, percentile, resamples, seededRandom(seed + percentile * 2 + salt));
    return { point: percentileOf(d, percentile), low: quantile(samples, (1 - confidence) / 2), high: quantile(samples, (1 + confidence) / 2) };
  };
  return {
    method: 'bootstrap',
    bounds: percentiles.map((p) => ({ current: interval(cd, p, 0), baseline: interval(bd, p, 1) })),
  };
}

/** The same key groupPaths uses. */
const keyOf = (p: PathResult): string => pathKey(p);

function sumOps(paths: readonly PathResult[]): number {
  return paths.reduce((a, p) => a + p.ops, 0);
}
