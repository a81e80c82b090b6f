/**
 * Measurement domain (pure): the timed path, one small interface behind which seq-scan,
 * index-scan, cache-hit, http and the no-op path all look alike to the runner.
 */

/** What a path is, for grouping and labels; the path's `name` says which one (seq, index, cache…). */
export type TargetKind = 'noop' | 'db' | 'cache' | 'http' | 'other';

/**
 * One operation. The runner reuses one object per worker (no allocation per operation), so a
 * target must copy what it keeps beyond the `run` call that received it.
 */
export interface Operation {
  /** The operation's position in the run's sequence (0-based, restarts after warmup). */
  readonly index: number;
  /** The category to ask for: `sequence.at(index)`, identical for every path. */
  readonly category: string;
}

/**
 * What operation i asks for, identical for every path of a run. Only `at` is needed here, so the
 * runner does not depend on how a workload draws its values (workload/sequence.ts does).
 */
export interface OperationSequence {
  at(index: number): string;
}

/** A timed path. Only `run` is timed; setup and teardown happen outside the measurement. */
export interface Target {
  /** Stable short name used in tables, comparisons and baselines: `seq`, `index`, `cache`, `noop`. */
  readonly name: string;
  readonly kind: TargetKind;
  /** Prepares the path (connections, prepared statements, cache fill). */
  setup?(): Promise<void>;
  /**
   * Performs one operation; a rejection (or a throw) is counted as an error of this path, not a
   * crash. A target whose operation completed synchronously may return undefined: no promise to wait for.
   */
  run(op: Operation): Promise<void> | undefined;
  /**
   * Its operations block the thread while they wait (bench --driver libpq): the event loop stands
   * still by design then, so its lag says nothing about the client and is not measured.
   */
  readonly blocking?: boolean;
  /**
   * Called once, synchronously, when the measured phase starts (after the warm-up, with no
   * operation in flight): a target that counts something per operation (the HTTP target's
   * Server-Timing sums) resets it here, so its counts cover the measured operations only.
   */
  measureStart?(): void;
  /** Releases what setup acquired; called even when the run failed or was interrupted. */
  teardown?(): Promise<void>;
}

const resolved: Promise<void> = Promise.resolve();

/**
 * The no-op path: returns an already-resolved promise, so its latency is what the harness itself
 * costs per operation (clock reads, recording, the await). Run it next to the real paths.
 */
export function noopTarget(name = 'noop'): Target {
  return {
    name,
    kind: 'noop',
    run: () => resolved,
  };
}
