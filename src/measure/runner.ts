/**
 * Measurement domain (pure): runs one target and measures it. Two loops:
 *
 * - closed: `concurrency` workers, each awaiting its operation before starting the next. Simple and
 *   what most tools do, but a stall stops the senders, so it is recorded once (coordinated omission);
 * - open: operation i is due at start + i / rate whatever happened before (wrk2, pgbench --rate).
 *   Latency is measured from the intended start, which counts the time an operation waited behind
 *   a stall; the latency from the actual send is kept too, and so is the schedule lag.
 *
 * The runner never prints: progress leaves through `onProgress`. Time comes from the injected
 * clock, so with a FakeClock and fake targets every count and percentile is exact.
 */
import { realClock, type Clock } from './clock.js';
import { LatencyHistogram } from './histogram.js';
import { defaultIntervalMs, IntervalSampler, type IntervalSamples } from './intervals.js';
import { realEventLoopMonitor, type EventLoopLag, type EventLoopMonitor } from './loop-lag.js';
import type { LoopMode, PathResult, ScheduleLag } from './result.js';
import type { OperationSlice } from './shard.js';
import type { Operation, OperationSequence, Target } from './target.js';

/** The phases a run goes through, in order (`done` is the last event). */
export type Phase = 'setup' | 'warmup' | 'measure' | 'teardown' | 'done';

/**
 * The phases in which the loop runs operations. Both run the same loop so the warm-up heats exactly
 * what the measurement times; only `measure` records.
 */
export type LoopPhase = Extract<Phase, 'warmup' | 'measure'>;

/** A progress report: on every phase change, and at most every `progressIntervalMs` while measuring. */
export interface ProgressEvent {
  target: string;
  phase: Phase;
  trial: number;
  concurrency: number;
  /** Operations recorded so far in the measured phase (errors excluded). */
  ops: number;
  errors: number;
  /** Time since the measured phase began (0 before it). */
  elapsedMs: number;
  /** Recorded operations per second since the previous measuring event. */
  opsPerSec: number;
  /** p99 latency so far, microseconds (0 before the first recorded operation). */
  p99Us: number;
}

/** How to run one target. Give exactly one of `durationMs` and `iterations`. */
export interface RunOptions {
  /** Closed loop: the number of workers. Open loop: the bound on outstanding operations. */
  concurrency: number;
  /** Length of the measured phase. */
  durationMs?: number;
  /** Number of operations in the measured phase. */
  iterations?: number;
  /** Unrecorded warm-up before measuring, by time and/or count (both: whichever ends later). */
  warmupMs?: number;
  warmupIterations?: number;
  /** Open loop at this many operations per second; closed loop when absent. */
  ratePerSec?: number;
  /** The categories operation i asks for. */
  sequence: OperationSequence;
  /**
   * `bench --shard`: this process's k-th operation is operation offset + k*stride of the run's one
   * sequence (its index and category); absent: the k-th is operation k.
   */
  slice?: OperationSlice;
  /** 1-based trial number stored in the result. */
  trial?: number;
  /** Defaults to the process clock. */
  clock?: Clock;
  /** Abort to stop early (Ctrl-C): the result holds what was measured, marked interrupted. */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Throttle for measuring progress events; default 250 ms. */
  progressIntervalMs?: number;
  /**
   * Event-loop lag monitor. Default: perf_hooks on a real clock, none on a fake one (`null` turns
   * it off explicitly).
   */
  loopMonitor?: EventLoopMonitor | null;
  /**
   * The process's CPU time so far, in µs (user + system). Default: process.cpuUsage on a real
   * clock, none on a fake one (`null` turns it off). Read at the start and end of the measured
   * phase: a client that was busy nearly all of that time is the bottleneck of what it measured.
   */
  cpuUsageUs?: (() => number) | null;
  /**
   * Length of the intervals the measured phase is sampled in (throughput and percentiles over
   * time, `PathResult.samples`). Default: about 100 intervals over `durationMs`, at least 100 ms;
   * 250 ms for a run by iterations. `null` turns sampling off.
   */
  sampleIntervalMs?: number | null;
  /**
   * Awaited before the warm-up (also when there is none) and before the measured phase: a run that
   * is one of several load-generating threads waits here for the others (bench-threads.ts), so
   * their warm-ups and measured phases start together and no thread times its operations against a
   * server the others are still filling or warming.
   */
  beforePhase?: (phase: LoopPhase) => Promise<void>;
}

const DEFAULT_PROGRESS_MS = 250;

function processCpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
/** An open-loop operation that starts more than this late counts as late (`lateOps`). */
const LATE_NS = 1_000_000;
/**
 * A worker whose target resolves synchronously never leaves the microtask queue; yielding to the
 * event loop every so many operations keeps signals (Ctrl-C), timers and I/O alive. 1024 keeps
 * the cost (one setImmediate, ~1 µs) below a nanosecond per operation.
 */
const YIELD_EVERY_MASK = 1023;
/**
 * ... and at least this often: an operation that blocks its thread (bench --driver libpq's calls)
 * may take milliseconds, and 1024 of them would leave Ctrl-C and the parent's messages waiting for seconds.
 */
const YIELD_EVERY_NS = 20_000_000;

/** A mutable Operation, reused by one worker for all of its operations. */
interface OpSlot {
  index: number;
  category: string;
}

/**
 * When a phase ends: after `ops` operations and/or once `atNs` has passed; with both, whichever
 * comes later (a warm-up of "at least 2 s and 100 operations").
 */
interface Stop {
  ops?: number;
  atNs?: number;
}

const stopped = (stop: Stop, ops: number, nowNs: number): boolean =>
  (stop.ops === undefined || ops >= stop.ops) && (stop.atNs === undefined || nowNs >= stop.atNs);

/** Mutable counters of one run. */
interface Tally {
  ops: number;
  errors: number;
  firstError: string | undefined;
  lagSumNs: number;
  lagMaxNs: number;
  lateOps: number;
}

/** Runs `target` once (setup, warm-up, measured phase, teardown) and returns its result. */
export async function runTarget(target: Target, options: RunOptions): Promise<PathResult> {
  checkOptions(options);
  const clock = options.clock ?? realClock();
  // Off by default on a fake clock (real CPU time and loop delay would make exact tests inexact), and
  // for a blocking target (its loop stands still by design).
  const monitor = options.loopMonitor === undefined ? (clock.real && !target.blocking ? realEventLoopMonitor() : null) : options.loopMonitor;
  const cpuUsageUs = options.cpuUsageUs === undefined ? (clock.real ? processCpuUs : null) : options.cpuUsageUs;
  const run = new Run(target, options, clock, cpuUsageUs);
  try {
    let loopLag: EventLoopLag | undefined;
    try {
      if (await run.setUp()) {
        await options.beforePhase?.('warmup');
        await run.warmUp();
        if (!run.aborted) {
          await options.beforePhase?.('measure');
          if (!run.aborted) loopLag = await run.measure(monitor);
        }
      }
    } finally {
      await run.tearDown();
    }
    const result = run.toResult(loopLag);
    run.emit('done');
    return result;
  } finally {
    // Also on a bug's exception: WASM histograms are not garbage-collected.
    run.destroy();
  }
}

function checkOptions(o: RunOptions): void {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if ((o.durationMs === undefined) === (o.iterations === undefined)) throw new RangeError('give exactly one of durationMs and iterations');
  if (o.durationMs !== undefined && !(o.durationMs > 0)) throw new RangeError('durationMs must be positive');
  if (o.iterations !== undefined && !(Number.isInteger(o.iterations) && o.iterations > 0)) throw new RangeError('iterations must be a positive integer');
  if (o.ratePerSec !== undefined && !(o.ratePerSec > 0 && Number.isFinite(o.ratePerSec))) throw new RangeError('ratePerSec must be positive');
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** A loop strategy: runs operations until `stop`, recording them only in the `measure` phase. */
type Loop = (phase: LoopPhase, stop: Stop) => Promise<void>;

/** The state of one run: histograms, counters, its phases and the loop it drives. */
class Run {
  private readonly histogram = LatencyHistogram.create();
  /** Open loop only: latency from the actual send. */
  private readonly uncorrected: LatencyHistogram | undefined;
  private readonly tally: Tally = { ops: 0, errors: 0, firstError: undefined, lagSumNs: 0, lagMaxNs: 0, lateOps: 0 };
  private readonly notes: string[] = [];
  private readonly flags: string[] = [];
  private readonly mode: LoopMode;
  /** Chosen once from the options: the hot path never asks which loop it is in. */
  private readonly loop: Loop;
  private readonly progressEveryNs: number;
  private readonly trial: number;
  private nextProgressNs = Infinity;
  /** The earlier of the next progress event and the next interval sample: one comparison per operation. */
  private nextTickNs = Infinity;
  private readonly sampler: IntervalSampler | undefined;
  private samples: IntervalSamples | undefined;
  private lastProgressNs = 0;
  private lastProgressOps = 0;
  private measureStartNs = 0;
  private measureEndNs = 0;
  private cpuStartUs = 0;
  private cpuEndUs = 0;
  private measureStarted = false;
  private measureEnded = false;

  constructor(
    private readonly target: Target,
    private readonly options: RunOptions,
    private readonly clock: Clock,
    private readonly cpuUsageUs: (() => number) | null,
  ) {
    const rate = options.ratePerSec;
    if (rate === undefined) {
      this.mode = 'closed';
      this.uncorrected = undefined;
      this.loop = (phase, stop) => this.closedLoop(phase, stop);
    } else {
      const uncorrected = LatencyHistogram.create();
      this.mode = 'open';
      this.uncorrected = uncorrected;
      this.loop = (phase, stop) => this.openLoop(phase, stop, rate, uncorrected);
    }
    this.progressEveryNs = (options.progressIntervalMs ?? DEFAULT_PROGRESS_MS) * 1e6;
    const sampleMs = options.sampleIntervalMs === undefined ? defaultIntervalMs(options.durationMs) : options.sampleIntervalMs;
    this.sampler = sampleMs === null ? undefined : new IntervalSampler(sampleMs);
    this.trial = options.trial ?? 1;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted === true;
  }

  /**
   * Prepares the target; false when that failed. A failed setup is the path's error, not the
   * run's crash: the result then says so, and the other paths still run.
   */
  async setUp(): Promise<boolean> {
    this.emit('setup');
    try {
      await this.target.setup?.();
      return true;
    } catch (error) {
      // Ctrl-C during setup (the cache fill stops early) is an interruption, not an error of the
      // path: it would otherwise count as "1 error" and make the run look broken rather than stopped.
      if (this.aborted) return false;
      this.fail(error, 'setup');
      this.flags.push('setup-failed');
      return false;
    }
  }

  /** Runs unrecorded operations (caches, plans, JIT, connections warm up), if the options ask for any. */
  async warmUp(): Promise<void> {
    const { warmupMs, warmupIterations } = this.options;
    if (!warmupMs && !warmupIterations) return;
    this.emit('warmup');
    const stop: Stop = {};
    if (warmupMs) stop.atNs = this.clock.nowNs() + warmupMs * 1e6;
    if (warmupIterations) stop.ops = warmupIterations;
    await this.loop('warmup', stop);
  }

  /** The measured phase; returns the event-loop lag over it when a monitor watched. */
  async measure(monitor: EventLoopMonitor | null): Promise<EventLoopLag | undefined> {
    monitor?.start();
    // Warm-up operations have all finished here: counters the target keeps restart with the measured phase.
    this.target.measureStart?.();
    this.beginMeasure();
    const { durationMs, iterations } = this.options;
    const stop: Stop = durationMs !== undefined ? { atNs: this.measureStartNs + durationMs * 1e6 } : { ops: iterations! };
    let loopLag: EventLoopLag | undefined;
    try {
      await this.loop('measure', stop);
    } finally {
      this.endMeasure();
      // Also when the loop threw: the monitor's timer must not outlive the run.
      loopLag = monitor?.stop();
    }
    return loopLag;
  }

  /** Releases the target; a failure there is noted, since the figures themselves are sound. */
  async tearDown(): Promise<void> {
    this.emit('teardown');
    try {
      await this.target.teardown?.();
    } catch (error) {
      this.notes.push(`teardown failed: ${messageOf(error)}`);
      this.flags.push('teardown-failed');
    }
  }

  private beginMeasure(): void {
    this.cpuStartUs = this.cpuUsageUs?.() ?? 0;
    this.measureStartNs = this.clock.nowNs();
    this.measureStarted = true;
    this.lastProgressNs = this.measureStartNs;
    this.nextProgressNs = this.options.onProgress ? this.measureStartNs + this.progressEveryNs : Infinity;
    this.sampler?.start(this.measureStartNs);
    this.nextTickNs = Math.min(this.nextProgressNs, this.sampler?.nextNs ?? Infinity);
    this.emit('measure');
  }

  private endMeasure(): void {
    this.measureEndNs = this.clock.nowNs();
    this.cpuEndUs = this.cpuUsageUs?.() ?? 0;
    this.measureEnded = true;
    this.nextProgressNs = Infinity;
    this.nextTickNs = Infinity;
    this.samples = this.sampler?.finish(this.measureEndNs, this.histogram, this.tally.ops, this.tally.errors);
  }

  private fail(error: unknown, where?: string): void {
    this.tally.errors++;
    if (this.tally.firstError === undefined) {
      const message = messageOf(error);
      this.tally.firstError = where ? `${where}: ${message}` : message;
    }
  }

  emit(phase: Phase, nowNs = this.clock.nowNs()): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const measuring = phase === 'measure';
    const sinceNs = nowNs - this.lastProgressNs;
    const opsPerSec = measuring && sinceNs > 0 ? ((this.tally.ops - this.lastProgressOps) * 1e9) / sinceNs : 0;
    const endNs = this.measureEnded ? this.measureEndNs : nowNs;
    onProgress({
      target: this.target.name,
      phase,
      trial: this.trial,
      concurrency: this.options.concurrency,
      ops: this.tally.ops,
      errors: this.tally.errors,
      elapsedMs: this.measureStarted ? (endNs - this.measureStartNs) / 1e6 : 0,
      opsPerSec,
      p99Us: this.histogram.valueAtPercentile(99),
    });
    if (measuring) {
      this.lastProgressNs = nowNs;
      this.lastProgressOps = this.tally.ops;
    }
  }

  private tick(nowNs: number): void {
    const { sampler } = this;
    if (sampler && nowNs >= sampler.nextNs) sampler.take(nowNs, this.histogram, this.tally.ops, this.tally.errors);
    if (nowNs >= this.nextProgressNs) {
      this.emit('measure', nowNs);
      this.nextProgressNs = nowNs + this.progressEveryNs;
    }
    this.nextTickNs = Math.min(this.nextProgressNs, sampler?.nextNs ?? Infinity);
  }

  /** Closed loop until `stop`: each worker starts its next operation when the previous one ended. */
  private async closedLoop(phase: LoopPhase, stop: Stop): Promise<void> {
    const { clock, target, histogram, tally } = this;
    const { sequence, signal } = this.options;
    const offset = this.options.slice?.offset ?? 0;
    const stride = this.options.slice?.stride ?? 1;
    const record = phase === 'measure';
    let next = 0;
    const worker = async (): Promise<void> => {
      const op: OpSlot = { index: 0, category: '' };
      let sinceYield = 0;
      let yieldedNs = clock.nowNs();
      let nowNs = clock.nowNs();
      for (;;) {
        if (signal?.aborted) return;
        if (stopped(stop, next, nowNs)) return;
        const index = offset + stride * next++;
        op.index = index;
        op.category = sequence.at(index);
        const startNs = clock.nowNs();
        let failed = false;
        try {
          const pending = target.run(op as Operation);
          if (pending !== undefined) await pending;
        } catch (error) {
          failed = true;
          if (record) this.fail(error);
        }
        nowNs = clock.nowNs();
        if (record && !failed) {
          histogram.record((nowNs - startNs) / 1e3);
          tally.ops++;
        }
        if (nowNs >= this.nextTickNs) this.tick(nowNs);
        if ((++sinceYield & YIELD_EVERY_MASK) === 0 || nowNs - yieldedNs >= YIELD_EVERY_NS) {
          await clock.yieldToEventLoop();
          yieldedNs = nowNs;
        }
      }
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < this.options.concurrency; w++) workers.push(worker());
    await Promise.all(workers);
  }

  /**
   * Open loop: operation i is due at phaseStart + i / rate. Sends are gated by the bound on
   * outstanding operations; the stretch an operation waits for a free slot or for the schedule to
   * catch up shows as schedule lag, and is inside its latency-from-intended-start.
   */
  private async openLoop(phase: LoopPhase, stop: Stop, ratePerSec: number, uncorrected: LatencyHistogram): Promise<void> {
    const { clock, target, histogram, tally } = this;
    const { sequence, signal, concurrency } = this.options;
    const offset = this.options.slice?.offset ?? 0;
    const stride = this.options.slice?.stride ?? 1;
    const record = phase === 'measure';
    const intervalNs = 1e9 / ratePerSec;
    // A shard's schedule is the run's, thinned to every stride-th slot: started together, the
    // shards' operations interleave at exactly the run's rate.
    const phaseStartNs = clock.nowNs() + (offset * intervalNs) / stride;
    let outstanding = 0;
    let wake: (() => void) | undefined;
    const wakeUp = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    signal?.addEventListener('abort', wakeUp);

    const finish = (intendedNs: number, sentNs: number, failed: boolean, error: unknown): void => {
      const endNs = clock.nowNs();
      outstanding--;
      if (record) {
        if (failed) this.fail(error);
        else {
          histogram.record((endNs - intendedNs) / 1e3);
          uncorrected.record((endNs - sentNs) / 1e3);
          tally.ops++;
        }
        if (endNs >= this.nextTickNs) this.tick(endNs);
      }
      wakeUp();
    };

    try {
      for (let i = 0; ; i++) {
        // Multiplying (not accumulating) keeps the schedule free of rounding drift.
        const intendedNs = phaseStartNs + i * intervalNs;
        if (stopped(stop, i, intendedNs)) break;
        while (outstanding >= concurrency && !signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
        if (signal?.aborted) break;
        let sentNs = clock.nowNs();
        if (sentNs < intendedNs) {
          await clock.sleepUntilNs(intendedNs, signal);
          if (signal?.aborted) break;
          sentNs = clock.nowNs();
        }
        // A timed run that fell behind stops at its end time instead of catching up for ever.
        if (stop.atNs !== undefined && stopped(stop, i, sentNs)) break;
        if (record) this.recordLag(sentNs - intendedNs);
        outstanding++;
        const index = offset + stride * i;
        const op: Operation = { index, category: sequence.at(index) };
        let pending: Promise<void>;
        try {
          pending = target.run(op) ?? Promise.resolve();
        } catch (error) {
          // A target that throws synchronously instead of rejecting.
          pending = Promise.reject(error);
        }
        pending.then(
          () => finish(intendedNs, sentNs, false, undefined),
          (error: unknown) => finish(intendedNs, sentNs, true, error),
        );
      }
      while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));
    } finally {
      signal?.removeEventListener('abort', wakeUp);
    }
  }

  private recordLag(lagNs: number): void {
    const { tally } = this;
    tally.lagSumNs += lagNs;
    if (lagNs > tally.lagMaxNs) tally.lagMaxNs = lagNs;
    if (lagNs > LATE_NS) tally.lateOps++;
  }

  toResult(loopLag: EventLoopLag | undefined): PathResult {
    const { tally, options } = this;
    const elapsedNs = Math.max(0, this.measureEndNs - this.measureStartNs);
    const open = this.mode === 'open';
    const encoded = this.histogram.encode();
    const result: PathResult = {
      name: this.target.name,
      kind: this.target.kind,
      mode: this.mode,
      concurrency: options.concurrency,
      trial: this.trial,
      sources: 1,
      ops: tally.ops,
      errors: tally.errors,
      elapsedMs: elapsedNs / 1e6,
      throughputOpsPerSec: elapsedNs > 0 ? (tally.ops * 1e9) / elapsedNs : 0,
      coCorrected: open,
      summary: this.histogram.summarize(),
      histogram: encoded,
      interrupted: this.aborted,
    };
    if (tally.firstError !== undefined) result.firstError = tally.firstError;
    if (open && this.uncorrected) {
      result.ratePerSec = options.ratePerSec!;
      result.uncorrected = { summary: this.uncorrected.summarize(), histogram: this.uncorrected.encode() };
      // Lag is averaged over every operation sent in the measured phase, errors included.
      const sent = tally.ops + tally.errors;
      const lag: ScheduleLag = {
        meanUs: sent > 0 ? tally.lagSumNs / sent / 1e3 : 0,
        maxUs: tally.lagMaxNs / 1e3,
        lateOps: tally.lateOps,
      };
      result.scheduleLag = lag;
    }
    if (loopLag) result.eventLoopLag = loopLag;
    if (this.samples) result.samples = this.samples;
    if (this.cpuUsageUs) result.clientCpuMs = Math.max(0, this.cpuEndUs - this.cpuStartUs) / 1000;
    if (this.notes.length) result.notes = [...this.notes];
    if (this.flags.length) result.flags = [...this.flags];
    return result;
  }

  destroy(): void {
    this.histogram.destroy();
    this.uncorrected?.destroy();
    this.sampler?.destroy();
  }
}
