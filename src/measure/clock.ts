/**
 * Measurement domain (pure): the runner's only source of time. Injected so unit tests run on
 * virtual time and give exact counts and percentiles, while real runs use the monotonic
 * high-resolution clock.
 *
 * Times are nanoseconds as plain numbers (not bigint): a bigint allocates on every read, and a
 * double from performance.now() (milliseconds since the process started) resolves 1 ns for the
 * first 52 days of a process and 2 ns after: ample for latencies recorded in microseconds.
 */
// Imported, not the global: Node defines the global `performance` as a lazy getter, paid on every read.
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Monotonic time in nanoseconds since this clock's origin. */
  nowNs(): number;
  /**
   * Resolves once `nowNs() >= deadlineNs`, or early when `signal` aborts (never rejects): the
   * caller re-reads the clock and the signal to know which happened.
   */
  sleepUntilNs(deadlineNs: number, signal?: AbortSignal): Promise<void>;
  /**
   * Lets timers, I/O and signal handlers run (a loop over already-resolved promises never would).
   * Part of the clock because on virtual time a real yield would let the clock move on meanwhile.
   */
  yieldToEventLoop(): Promise<void>;
  /** True for the process clock; the runner only measures event-loop lag on real time. */
  readonly real: boolean;
}

/**
 * Below this, a timer would oversleep (Node timers have 1 ms granularity and fire late under
 * load), so the last stretch is covered by yielding to the event loop with setImmediate: it costs
 * some CPU but keeps an open-loop schedule within microseconds of its intended start.
 */
const SPIN_BELOW_NS = 2_000_000;

/**
 * The process clock: performance.now() (monotonic, immune to wall-clock changes, the same source as
 * process.hrtime), in nanoseconds. Not process.hrtime.bigint(): read twice per operation, it
 * allocated two bigints per read (the time and the difference) on the runner's hottest path.
 */
export function realClock(): Clock {
  const originMs = performance.now();
  const nowNs = (): number => (performance.now() - originMs) * 1e6;
  return {
    real: true,
    nowNs,
    yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
    sleepUntilNs(deadlineNs, signal) {
      return new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        const step = (): void => {
          if (signal?.aborted) return resolve();
          const remainingNs = deadlineNs - nowNs();
          if (remainingNs <= 0) {
            signal?.removeEventListener('abort', onAbort);
            return resolve();
          }
          if (remainingNs > SPIN_BELOW_NS) {
            timer = setTimeout(step, Math.floor((remainingNs - SPIN_BELOW_NS / 2) / 1e6));
          } else {
            timer = undefined;
            setImmediate(step);
          }
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        step();
      });
    },
  };
}

interface Sleeper {
  deadlineNs: number;
  order: number;
  resolve: () => void;
}

/**
 * Virtual time for tests. Time moves only when (a) a test or fake target calls `advanceNs`, or
 * (b) everything that is running is asleep: once the microtask queue drains, a macrotask wakes the
 * earliest sleepers and sets the time to their deadline. A fake target that "takes 3 ms" simply
 * awaits `clock.sleepUntilNs(clock.nowNs() + 3e6)`, and the run is exact and instant.
 */
export class FakeClock implements Clock {
  readonly real = false;
  private timeNs: number;
  private sleepers: Sleeper[] = [];
  private order = 0;
  private scheduled = false;

  constructor(startNs = 0) {
    this.timeNs = startNs;
  }

  nowNs(): number {
    return this.timeNs;
  }

  /** Moves time forward synchronously, as a CPU-bound operation would. */
  advanceNs(deltaNs: number): void {
    if (deltaNs < 0) throw new RangeError('FakeClock cannot go backwards');
    this.timeNs += deltaNs;
  }

  /** On virtual time, yielding costs nothing and lets no time pass. */
  yieldToEventLoop(): Promise<void> {
    return Promise.resolve();
  }

  /** Sleeps `delayNs` of virtual time; a convenience for fake targets. */
  sleepNs(delayNs: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntilNs(this.timeNs + delayNs, signal);
  }

  sleepUntilNs(deadlineNs: number, signal?: AbortSignal): Promise<void> {
    if (deadlineNs <= this.timeNs || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { deadlineNs, order: this.order++, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.sleepers.indexOf(sleeper);
          if (at >= 0) this.sleepers.splice(at, 1);
          resolve();
        },
        { once: true },
      );
      this.schedule();
    });
  }

  /** Sleepers not yet woken (for tests of the clock itself). */
  get pending(): number {
    return this.sleepers.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after all pending promise callbacks: by then every coroutine that could
    // run has run, so the only way forward is the next deadline.
    setImmediate(() => {
      this.scheduled = false;
      this.wakeEarliest();
    });
  }

  private wakeEarliest(): void {
    if (this.sleepers.length === 0) return;
    let earliest = Infinity;
    for (const s of this.sleepers) if (s.deadlineNs < earliest) earliest = s.deadlineNs;
    if (earliest > this.timeNs) this.timeNs = earliest;
    const due = this.sleepers.filter((s) => s.deadlineNs <= this.timeNs).sort((a, b) => a.order - b.order);
    this.sleepers = this.sleepers.filter((s) => s.deadlineNs > this.timeNs);
    for (const s of due) s.resolve();
    if (this.sleepers.length > 0) this.schedule();
  }
}
