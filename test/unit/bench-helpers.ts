/** Shared fixtures for the bench unit tests: fake targets on a FakeClock, result builders. */
import type { FakeClock } from '../../src/measure/clock.js';
import { LatencyHistogram } from '../../src/measure/histogram.js';
import { createResult, type BenchResult, type PathResult, type RunOptionsRecord } from '../../src/measure/result.js';
import type { Operation, Target, TargetKind } from '../../src/measure/target.js';

/** A target whose i-th operation takes `latencyUs(i)` of virtual time (or throws when it returns an Error). */
export function fakeTarget(
  clock: FakeClock,
  name: string,
  latencyUs: (op: Operation) => number | Error,
  kind: TargetKind = 'db',
): Target & { seen: Operation[] } {
  const seen: Operation[] = [];
  return {
    name,
    kind,
    seen,
    async run(op) {
      seen.push({ index: op.index, category: op.category });
      const latency = latencyUs(op);
      if (latency instanceof Error) throw latency;
      if (latency > 0) await clock.sleepNs(latency * 1e3);
    },
  };
}

/** Encodes a histogram of exactly these values. */
export function encodeValues(values: readonly number[]): string {
  const h = LatencyHistogram.create();
  try {
    for (const v of values) h.record(v);
    return h.encode();
  } finally {
    h.destroy();
  }
}

/** A closed-loop PathResult whose histogram holds exactly `values` (µs). */
export function pathOf(name: string, values: readonly number[], extra: Partial<PathResult> = {}): PathResult {
  const encoded = encodeValues(values);
  const h = LatencyHistogram.decode(encoded);
  const summary = h.summarize();
  h.destroy();
  const elapsedMs = values.reduce((a, v) => a + v, 0) / 1e3;
  return {
    name,
    kind: name === 'noop' ? 'noop' : name === 'cache' ? 'cache' : 'db',
    mode: 'closed',
    concurrency: 1,
    trial: 1,
    sources: 1,
    ops: values.length,
    errors: 0,
    elapsedMs,
    throughputOpsPerSec: elapsedMs > 0 ? (values.length * 1e3) / elapsedMs : 0,
    coCorrected: false,
    summary,
    histogram: encoded,
    interrupted: false,
    ...extra,
  };
}

export const FIXED_DATE = new Date('2025-01-02T03:04:05.000Z');

export const OPTIONS: RunOptionsRecord = {
  mode: 'closed',
  concurrency: [1],
  durationMs: 5000,
  trials: 1,
  distribution: 'uniform',
  seed: 42,
  categories: 1000,
};

export function resultOf(paths: PathResult[], options: Partial<RunOptionsRecord> = {}, environment: Record<string, unknown> = { node: 'v20.0.0', postgres: '17.0', dataset: 'rows=1000000;categories=1000;seed=42' }): BenchResult {
  return createResult({ environment, options: { ...OPTIONS, ...options }, paths, createdAt: FIXED_DATE });
}

/** n values spread deterministically around `centreUs` (a triangular-ish shape, ±spread). */
export function spread(n: number, centreUs: number, spreadUs: number, seed = 1): number[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () => Math.round(centreUs + (next() + next() - 1) * spreadUs));
}
