/**
 * Measurement domain (pure): event-loop lag: when the loop is late, perfbench itself is the
 * bottleneck and the latencies it records include its own queueing. Injected into the runner so
 * unit tests stay exact.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay over one measured phase, in microseconds. */
export interface EventLoopLag {
  meanUs: number;
  p99Us: number;
  maxUs: number;
}

/** Measures event-loop delay between `start()` and `stop()`. */
export interface EventLoopMonitor {
  start(): void;
  stop(): EventLoopLag;
}

/**
 * perf_hooks.monitorEventLoopDelay: a timer fires every `resolutionMs` and records the time since
 * its previous firing, in nanoseconds. That interval *includes* the resolution (an idle loop reads
 * ~10.1 ms at 10 ms), so the resolution is subtracted to leave the lag alone.
 */
export function realEventLoopMonitor(resolutionMs = 10): EventLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  const lagUs = (ns: number): number => Math.max(0, ns / 1e3 - resolutionMs * 1e3);
  return {
    start() {
      histogram.reset();
      histogram.enable();
    },
    stop() {
      histogram.disable();
      const lag = histogram.count === 0
        ? { meanUs: 0, p99Us: 0, maxUs: 0 }
        : { meanUs: lagUs(histogram.mean), p99Us: lagUs(histogram.percentile(99)), maxUs: lagUs(histogram.max) };
      return lag;
    },
  };
}
