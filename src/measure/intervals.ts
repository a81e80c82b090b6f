/**
 * Measurement domain (pure): throughput and latency over time during the measured phase, as
 * consecutive intervals (what the HTML report draws as "over time"). The runner closes an interval
 * at the first operation that ends after the interval's deadline, so a stall shows as one longer
 * interval with a low throughput and a high p99, not as a gap.
 *
 * An interval's percentiles are exact: they come from the difference of the run's cumulative
 * histogram at the interval's end and at its start (HDR histograms subtract exactly), so the hot
 * path records each latency once, as before.
 */
import { LatencyHistogram } from './histogram.js';

/** One interval of the measured phase. Times are ms since the measured phase began. */
export interface IntervalSample {
  startMs: number;
  endMs: number;
  /** Operations recorded in the interval (errors excluded). */
  ops: number;
  errors: number;
  /** Percentiles of the interval's own latencies, µs (the path's histogram: corrected for an open loop); absent with 0 ops. */
  p50Us?: number;
  p99Us?: number;
}

/** A path's intervals over its measured phase (or phases: trials folded one after the other). */
export interface IntervalSamples {
  /** The nominal length of one interval, ms; doubles after every `SAMPLES_PER_DOUBLING` intervals of a long run. */
  intervalMs: number;
  /**
   * `exact`: each interval's percentiles are its own. `worst-source`: samples of runs that generated
   * load at the same time (merge) added interval by interval: ops and errors are sums, the
   * percentiles the highest source's (an upper bound: the per-interval histograms are not kept).
   */
  percentiles: 'exact' | 'worst-source';
  points: IntervalSample[];
}

/** A timed run aims at about this many intervals. */
export const TARGET_SAMPLES = 100;
/** Intervals are never shorter than this (a run's first milliseconds say little). */
export const MIN_INTERVAL_MS = 100;
/** The interval of a run by iterations, whose length is not known in advance. */
export const ITERATIONS_INTERVAL_MS = 250;
/** After this many intervals the interval doubles, so a very long run keeps a bounded file. */
export const SAMPLES_PER_DOUBLING = 200;

/** The default interval for a run: about `TARGET_SAMPLES` over a timed run, a fixed one by iterations. */
export function defaultIntervalMs(durationMs: number | undefined): number {
  if (durationMs === undefined) return ITERATIONS_INTERVAL_MS;
  return Math.max(MIN_INTERVAL_MS, Math.round(durationMs / TARGET_SAMPLES));
}

/**
 * Takes interval samples of a run from its cumulative histogram. `start` at the beginning of the
 * measured phase, `due`/`take` as operations end, `finish` at its end; `destroy` frees the
 * histograms (WASM memory).
 */
export class IntervalSampler {
  /** When the current interval may close, ns; Infinity before `start` and after `finish`. */
  nextNs = Infinity;
  private intervalNs: number;
  private readonly points: IntervalSample[] = [];
  private readonly snapshot = LatencyHistogram.create();
  private readonly delta = LatencyHistogram.create();
  private originNs = 0;
  private boundaryNs = 0;
  private startNs = 0;
  private startOps = 0;
  private startErrors = 0;
  private sinceDoubling = 0;

  constructor(private intervalMs: number) {
    if (!(intervalMs > 0)) throw new RangeError('the sample interval must be positive');
    this.intervalNs = intervalMs * 1e6;
  }

  start(nowNs: number): void {
    this.originNs = nowNs;
    this.startNs = nowNs;
    this.boundaryNs = nowNs + this.intervalNs;
    this.nextNs = this.boundaryNs;
  }

  /** Closes the current interval at `nowNs` (call when `nowNs >= nextNs`). */
  take(nowNs: number, histogram: LatencyHistogram, ops: number, errors: number): void {
    this.close(nowNs, histogram, ops, errors);
    if (++this.sinceDoubling >= SAMPLES_PER_DOUBLING) {
      this.sinceDoubling = 0;
      this.intervalMs *= 2;
      this.intervalNs *= 2;
    }
    // The next deadline is on the grid (origin + k x interval), so boundaries do not drift with late closes.
    while (this.boundaryNs <= nowNs) this.boundaryNs += this.intervalNs;
    this.nextNs = this.boundaryNs;
  }

  /** Closes the last (usually shorter) interval at the end of the measured phase and returns all. */
  finish(endNs: number, histogram: LatencyHistogram, ops: number, errors: number): IntervalSamples {
    if (endNs > this.startNs || this.points.length === 0) this.close(endNs, histogram, ops, errors);
    this.nextNs = Infinity;
    return { intervalMs: this.intervalMs, percentiles: 'exact', points: this.points };
  }

  destroy(): void {
    this.snapshot.destroy();
    this.delta.destroy();
  }

  private close(nowNs: number, histogram: LatencyHistogram, ops: number, errors: number): void {
    const sample: IntervalSample = {
      startMs: (this.startNs - this.originNs) / 1e6,
      endMs: (nowNs - this.originNs) / 1e6,
      ops: ops - this.startOps,
      errors: errors - this.startErrors,
    };
    if (sample.ops > 0) {
      // delta = cumulative now - cumulative at the interval's start; then the snapshot catches up.
      this.delta.reset();
      this.delta.add(histogram);
      this.delta.subtract(this.snapshot);
      sample.p50Us = this.delta.valueAtPercentile(50);
      sample.p99Us = this.delta.valueAtPercentile(99);
      this.snapshot.add(this.delta);
    }
    this.points.push(sample);
    this.startNs = nowNs;
    this.startOps = ops;
    this.startErrors = errors;
  }
}

/**
 * Samples of one path's trials, run one after the other, as one series: each part's times are
 * shifted by the measured time of the parts before it (the gaps between trials are left out).
 */
export function concatSamples(parts: ReadonlyArray<{ samples?: IntervalSamples; elapsedMs: number }>): IntervalSamples | undefined {
  if (parts.some((p) => p.samples === undefined)) return undefined;
  let offsetMs = 0;
  const points: IntervalSample[] = [];
  for (const part of parts) {
    for (const point of part.samples!.points) points.push({ ...point, startMs: point.startMs + offsetMs, endMs: point.endMs + offsetMs });
    offsetMs += part.elapsedMs;
  }
  return {
    intervalMs: Math.max(...parts.map((p) => p.samples!.intervalMs)),
    percentiles: parts.every((p) => p.samples!.percentiles === 'exact') ? 'exact' : 'worst-source',
    points,
  };
}

/**
 * Samples of runs made at the same time (worker threads, machines) added interval by interval:
 * the i-th interval of every source. Ops and errors add exactly; the percentiles are the highest
 * source's, so the series is marked `worst-source`. Sources with different intervals do not line up:
 * then there is no combined series.
 */
export function addSamples(parts: ReadonlyArray<IntervalSamples | undefined>): IntervalSamples | undefined {
  if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
  const all = parts as IntervalSamples[];
  const intervalMs = all[0]!.intervalMs;
  if (all.some((p) => p.intervalMs !== intervalMs)) return undefined;
  const length = Math.max(...all.map((p) => p.points.length));
  const points: IntervalSample[] = [];
  for (let i = 0; i < length; i++) {
    const here = all.map((p) => p.points[i]).filter((s): s is IntervalSample => s !== undefined);
    const point: IntervalSample = {
      startMs: Math.min(...here.map((s) => s.startMs)),
      endMs: Math.max(...here.map((s) => s.endMs)),
      ops: here.reduce((a, s) => a + s.ops, 0),
      errors: here.reduce((a, s) => a + s.errors, 0),
    };
    const p50 = here.filter((s) => s.p50Us !== undefined).map((s) => s.p50Us!);
    const p99 = here.filter((s) => s.p99Us !== undefined).map((s) => s.p99Us!);
    if (p50.length) point.p50Us = Math.max(...p50);
    if (p99.length) point.p99Us = Math.max(...p99);
    points.push(point);
  }
  return { intervalMs, percentiles: all.length === 1 ? all[0]!.percentiles : 'worst-source', points };
}
