/**
 * Event-loop lag: when the loop is late, perfbench itself is the bottleneck and the latencies it
 * records include its own queueing. Injected into the runner so unit tests stay exact.
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
 * perf_hooks.monitorEventLoopDelay: samples the delay of a timer every `resolutionMs` (its values
 * are nanoseconds and include the resolution's own jitter, so sub-resolution lag reads as noise).
 */
export function realEventLoopMonitor(resolutionMs = 10): EventLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  return {
    start() {
      histogram.reset();
      histogram.enable();
    },
    stop() {
      histogram.disable();
      const lag = histogram.count === 0
        ? { meanUs: 0, p99Us: 0, maxUs: 0 }
        : { meanUs: histogram.mean / 1e3, p99Us: histogram.percentile(99) / 1e3, maxUs: histogram.max / 1e3 };
      return lag;
    },
  };
}
