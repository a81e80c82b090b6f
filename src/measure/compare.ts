/**
 * Measurement domain (pure): speed-ups with an interval. Every path is compared with the baseline
 * path (`seq`), `cache` with `index` and `http-fast` with `http-slow`, at p50 and p99. A bare ratio
 * of two runs hides their noise, so each speed-up carries an interval and the name of the method that produced it:
 *
 * - `trials`: with at least `minTrials` trials of both paths, the ratio per trial (trials of one
 *   run are paired by number: trial t of every path ran in the same round), the median ratio as the
 *   estimate and the min–max of the trial ratios as the interval;
 * - `bootstrap`: otherwise, all trials folded into one histogram per path, and a seeded percentile
 *   bootstrap (see bootstrap.ts) of the ratio at `confidence` (default 95%).
 */
import { bootstrapPercentile, empirical, percentileOf, quantile, type EmpiricalDistribution } from './bootstrap.js';
import { addEncoded, LatencyHistogram } from './histogram.js';
import { seededRandom } from './random.js';
import {
  groupPaths, pathKey, type BenchResult, type Comparison, type LoopMode, type MeasuredComparison, type PathResult, type RatioEstimate,
  type UnavailableComparison,
} from './result.js';

// The comparison types are part of the result contract (result files carry them); re-exported so
// callers that compute comparisons find them here too.
export type { Comparison, IntervalMethod, MeasuredComparison, RatioEstimate, UnavailableComparison } from './result.js';

export interface CompareOptions {
  /** The path every other path is compared with; default `seq`, else (a workload) `no-index`, else `as-is`. */
  baseline?: string;
  /** Further [path, baseline] pairs; default DEFAULT_PAIRS. */
  pairs?: ReadonlyArray<readonly [string, string]>;
  /** Trials needed for the `trials` method; default 3. */
  minTrials?: number;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

/**
 * The pairs besides "everything vs seq": the cache against the index (its GET alone too), the near cache against Redis
 * (what the round trip costs), the fast route against the slow one.
 */
export const DEFAULT_PAIRS: ReadonlyArray<readonly [string, string]> = [['cache-get', 'index'], ['cache', 'index'], ['near', 'cache'], ['http-fast', 'http-slow'], ['cache', 'as-is']];

/** The default baseline among the paths a result has: the report's `seq`, a workload's `no-index`, else `as-is`. */
const BASELINES = ['seq', 'no-index', 'as-is'];
export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_BOOTSTRAP_SEED = 0x5eed;
const MIN_TRIALS = 3;

/** Which percentile of a summary: 50 or 99. */
export type GatedPercentile = 50 | 99;

const summaryAt = (p: PathResult, percentile: GatedPercentile): number =>
  percentile === 50 ? p.summary.p50Us : p.summary.p99Us;

/** Latencies are floored at the histogram's resolution so a 0 µs no-op does not divide by zero. */
export const floorUs = (us: number): number => Math.max(us, 1);

/** All speed-ups of a result (pure; deterministic for a given seed). No-op paths are skipped. */
export function compareResult(result: BenchResult, options: CompareOptions = {}): Comparison[] {
  const present = new Set(result.paths.map((p) => p.name));
  const baseline = options.baseline ?? BASELINES.find((name) => present.has(name)) ?? 'seq';
  const pairs = options.pairs ?? DEFAULT_PAIRS;
  const groups = groupPaths(result.paths.filter((p) => p.kind !== 'noop'));
  const out: Comparison[] = [];
  const wanted: Array<[string, string]> = [];
  for (const name of unique(result.paths.filter((p) => p.kind !== 'noop').map((p) => p.name))) {
    if (name !== baseline) wanted.push([name, baseline]);
  }
  for (const [a, b] of pairs) if (!wanted.some(([x, y]) => x === a && y === b)) wanted.push([a, b]);
  for (const [mode, concurrency] of unique([...groups.values()].map((g) => `${g[0]!.mode}:${g[0]!.concurrency}`)).map(splitKey)) {
    for (const [pathName, baseName] of wanted) {
      const candidate = groups.get(groupKey(pathName, mode, concurrency));
      const base = groups.get(groupKey(baseName, mode, concurrency));
      if (!candidate || !base) continue;
      out.push(comparePaths(candidate, base, options));
    }
  }
  return out;
}

/**
 * Speed-up of `candidate` (all its trials) against `baseline` (all its trials); none when either
 * side recorded no successful operation (an empty histogram is no latency, not a latency of 0).
 */
export function comparePaths(candidate: readonly PathResult[], baseline: readonly PathResult[], options: CompareOptions = {}): Comparison {
  const first = candidate[0]!;
  const head = { path: first.name, baseline: baseline[0]!.name, mode: first.mode, concurrency: first.concurrency };
  const reason = noLatencyReason(candidate, baseline);
  if (reason !== undefined) return { ...head, p50: null, p99: null, method: 'none', trials: 0, reason } satisfies UnavailableComparison;
  return measuredComparison(head, candidate, baseline, options);
}

/** Why a pair has no speed-up, or undefined when both sides recorded at least one operation. */
function noLatencyReason(candidate: readonly PathResult[], baseline: readonly PathResult[]): string | undefined {
  const empty = [candidate, baseline].filter((side) => side.reduce((ops, p) => ops + p.ops, 0) === 0);
  if (empty.length === 0) return undefined;
  const describe = (side: readonly PathResult[]): string => {
    const errors = side.reduce((total, p) => total + p.errors, 0);
    return errors > 0 ? ` (${errors} error${errors === 1 ? '' : 's'})` : '';
  };
  if (empty.length === 2) {
    return `neither ${candidate[0]!.name}${describe(candidate)} nor ${baseline[0]!.name}${describe(baseline)} had a successful operation`;
  }
  return `${empty[0]![0]!.name} had no successful operation${describe(empty[0]!)}`;
}

function measuredComparison(head: Omit<MeasuredComparison, 'p50' | 'p99' | 'method' | 'trials'>, candidate: readonly PathResult[],
  baseline: readonly PathResult[], options: CompareOptions): MeasuredComparison {
  const minTrials = options.minTrials ?? MIN_TRIALS;
  const paired = pairTrials(candidate, baseline);
  if (paired.length >= minTrials) {
    const ratio = (percentile: GatedPercentile): RatioEstimate => {
      const ratios = Float64Array.from(paired, ([c, b]) => floorUs(summaryAt(b, percentile)) / floorUs(summaryAt(c, percentile)));
      return { estimate: quantile(ratios, 0.5), low: ratios[0]!, high: ratios[ratios.length - 1]! };
    };
    return { ...head, p50: ratio(50), p99: ratio(99), method: 'trials', trials: paired.length };
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const c = distributionOf(candidate);
  const b = distributionOf(baseline);
  const ratio = (percentile: GatedPercentile): RatioEstimate => {
    // One generator per percentile: adding a percentile later does not shift the others' draws.
    const random = seededRandom(seed + percentile);
    const cs = bootstrapPercentile(c, percentile, resamples, random);
    const bs = bootstrapPercentile(b, percentile, resamples, random);
    const ratios = cs.map((cv, i) => floorUs(bs[i]!) / floorUs(cv));
    return {
      estimate: floorUs(percentileOf(b, percentile)) / floorUs(percentileOf(c, percentile)),
      low: quantile(ratios, (1 - confidence) / 2),
      high: quantile(ratios, (1 + confidence) / 2),
    };
  };
  return {
    ...head,
    p50: ratio(50),
    p99: ratio(99),
    method: 'bootstrap',
    trials: Math.min(candidate.length, baseline.length),
    confidence,
    resamples,
  };
}

/** Trials present on both sides, matched by trial number, in trial order. */
function pairTrials(candidate: readonly PathResult[], baseline: readonly PathResult[]): Array<[PathResult, PathResult]> {
  const byTrial = new Map(baseline.map((b) => [b.trial, b]));
  return [...candidate]
    .sort((x, y) => x.trial - y.trial)
    .flatMap((c): Array<[PathResult, PathResult]> => {
      const b = byTrial.get(c.trial);
      return b && c.ops > 0 && b.ops > 0 ? [[c, b]] : [];
    });
}

/** The recorded values of all trials of a path (their histograms added exactly). */
export function distributionOf(paths: readonly PathResult[]): EmpiricalDistribution {
  const encoded = paths.length === 1 ? paths[0]!.histogram : addEncoded(paths.map((p) => p.histogram));
  const histogram = LatencyHistogram.decode(encoded);
  try {
    return empirical(histogram.buckets());
  } finally {
    histogram.destroy();
  }
}

const groupKey = (name: string, mode: LoopMode, concurrency: number): string => pathKey({ name, mode, concurrency });

function splitKey(key: string): [LoopMode, number] {
  const [mode, concurrency] = key.split(':');
  return [mode as LoopMode, Number(concurrency)];
}


function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
