/**
 * Measurement domain (pure): latency histograms: a thin wrapper over hdr-histogram-js at
 * microsecond resolution with 3 significant digits (every value is kept within 0.1%), growing as
 * needed (auto-resize).
 *
 * The WebAssembly build records about 4x faster than the JS one (REFERENCE.md: ~38 ms vs ~150 ms
 * per million values) but lives outside the JS heap: every histogram must be `destroy()`ed, or
 * the WASM memory grows for the life of the process. The wrapper makes that one call for both.
 *
 * `record` does not call into the histogram: it appends to a small buffer of plain numbers, which
 * goes into the histogram in one burst when full and before anything reads, adds or encodes it. A
 * blocking client (`bench --driver libpq`) records between two sleeps in poll(), and there each
 * call into WebAssembly met cold caches: about 1 µs a value in situ against ~40 ns in a tight loop
 * (bench:fidelity's client CPU per transaction). The figures are the same: a histogram keeps
 * counts, not order.
 */
import * as hdr from 'hdr-histogram-js';

/** Which hdr-histogram-js build backs new histograms. */
export type HistogramBackend = 'wasm' | 'js';

/** Statistics of one histogram, in microseconds. Percentiles follow HdrHistogram's rule. */
export interface LatencySummary {
  /** Number of recorded values. */
  count: number;
  meanUs: number;
  stddevUs: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** One bucket of recorded values: `count` values equivalent to `valueUs`. */
export interface HistogramBucket {
  /** The bucket's highest equivalent value: what HdrHistogram reports for a percentile in it. */
  valueUs: number;
  count: number;
}

const SIGNIFICANT_DIGITS = 3;
/** Values `record` holds before they go into the histogram: 2 kB a histogram, allocated on its first record. */
const PENDING_VALUES = 256;
/** The initial range (60 s); auto-resize extends it, so this only sizes the first allocation. */
const INITIAL_HIGHEST_US = 60_000_000;

let backend: HistogramBackend = 'js';
let initialised: Promise<HistogramBackend> | undefined;

/**
 * Loads the WebAssembly build once; falls back to the JS build when WebAssembly is unavailable or
 * fails to load. Returns the backend now in use; call before creating histograms on the hot path.
 */
export function initHistograms(prefer: HistogramBackend = 'wasm'): Promise<HistogramBackend> {
  if (prefer === 'js') {
    backend = 'js';
    return Promise.resolve(backend);
  }
  initialised ??= hdr.initWebAssembly().then(
    () => 'wasm' as const,
    () => 'js' as const,
  );
  return initialised.then((loaded) => (backend = loaded));
}

/** The backend new histograms use (`js` until `initHistograms` loaded WebAssembly). */
export function histogramBackend(): HistogramBackend {
  return backend;
}

/** A latency histogram in microseconds. Call `destroy()` when done (frees WASM memory). */
export class LatencyHistogram {
  private constructor(
    private inner: hdr.Histogram,
    readonly backend: HistogramBackend,
  ) {}

  /** An empty histogram on the current backend. */
  static create(): LatencyHistogram {
    const useWasm = backend === 'wasm';
    const inner = hdr.build({
      numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
      lowestDiscernibleValue: 1,
      highestTrackableValue: INITIAL_HIGHEST_US,
      autoResize: true,
      useWebAssembly: useWasm,
    });
    return new LatencyHistogram(inner, useWasm ? 'wasm' : 'js');
  }

  /** Decodes `encode()`'s output. Throws on corrupt input. */
  static decode(encoded: string, on: HistogramBackend = backend): LatencyHistogram {
    const inner = hdr.decodeFromCompressedBase64(encoded, 32, on === 'wasm');
    // The encoding does not carry the auto-resize flag; without it a later add() of a wider
    // histogram would throw.
    inner.autoResize = true;
    return new LatencyHistogram(inner, on);
  }

  /** Records one latency. Negative values (a clock glitch) count as 0; fractions round. */
  record(valueUs: number): void {
    // As the histogram itself would (a destroyed WASM one throws): not silently held until a flush.
    if (this.destroyed) throw new Error('record() on a destroyed LatencyHistogram');
    const pending = (this.pending ??= new Float64Array(PENDING_VALUES));
    pending[this.pendingCount++] = valueUs;
    if (this.pendingCount === PENDING_VALUES) this.flush();
  }

  /** Records `count` occurrences of one latency. */
  recordMany(valueUs: number, count: number): void {
    this.flush();
    this.inner.recordValueWithCount(valueUs > 0 ? Math.round(valueUs) : 0, count);
  }

  /**
   * Records one latency with at-recording coordinated-omission correction, HdrHistogram's
   * `recordValueWithExpectedInterval`: besides `valueUs` it records `valueUs - k x interval` for
   * k = 1, 2, … while that is still >= `expectedIntervalUs` (the requests a closed loop failed to
   * send while it waited). Only for latencies measured from the actual send: a latency measured
   * from the intended start already contains the correction, and applying both double-counts.
   */
  recordCorrected(valueUs: number, expectedIntervalUs: number): void {
    this.flush();
    const value = valueUs > 0 ? Math.round(valueUs) : 0;
    this.inner.recordValueWithExpectedInterval(value, Math.round(expectedIntervalUs));
  }

  /** Adds every value of `other` (exact: counts per bucket add). */
  add(other: LatencyHistogram): void {
    this.flush();
    other.flush();
    if (other.backend === this.backend) {
      this.inner.add(other.inner);
      return;
    }
    // The WASM and JS builds cannot add each other's internals; their encodings are the same.
    const converted = LatencyHistogram.decode(other.encode(), this.backend);
    try {
      this.inner.add(converted.inner);
    } finally {
      converted.destroy();
    }
  }

  /** Removes every value of `other`, which must be contained in this one (interval = cumulative - earlier snapshot). */
  subtract(other: LatencyHistogram): void {
    this.flush();
    other.flush();
    if (other.backend === this.backend) {
      this.inner.subtract(other.inner);
      return;
    }
    const converted = LatencyHistogram.decode(other.encode(), this.backend);
    try {
      this.inner.subtract(converted.inner);
    } finally {
      converted.destroy();
    }
  }

  /** Empties the histogram, keeping its memory. */
  reset(): void {
    this.pendingCount = 0;
    this.inner.reset();
  }

  /** Compressed base64 (HdrHistogram's V2 compressed encoding, readable by other HDR tools). */
  encode(): string {
    this.flush();
    return hdr.encodeIntoCompressedBase64(this.inner);
  }

  get totalCount(): number {
    this.flush();
    return this.inner.totalCount;
  }

  /** The value at `percentile` (0–100), HdrHistogram's rule: the count at p is ceil(p/100 x n). */
  valueAtPercentile(percentile: number): number {
    this.flush();
    return this.inner.totalCount === 0 ? 0 : this.inner.getValueAtPercentile(percentile);
  }

  /** The recorded buckets in increasing value order (not for the hot path). */
  buckets(): HistogramBucket[] {
    this.flush();
    const js = (this.backend === 'js' ? this.inner : hdr.decodeFromCompressedBase64(this.encode(), 32, false)) as hdr.JsHistogram;
    const out: HistogramBucket[] = [];
    for (let i = 0; i < js.countsArrayLength; i++) {
      const count = js.getCountAtIndex(i);
      if (count > 0) out.push({ valueUs: js.highestEquivalentValue(js.valueFromIndex(i)), count });
    }
    return out;
  }

  /** Frees the histogram (WASM memory); it must not be used afterwards. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pendingCount = 0;
    this.inner.destroy();
  }

  private destroyed = false;
  private pending: Float64Array | undefined;
  private pendingCount = 0;

  /** Puts the values `record` holds into the histogram. */
  private flush(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    this.pendingCount = 0;
    const pending = this.pending!;
    const inner = this.inner;
    for (let i = 0; i < n; i++) {
      const value = pending[i]!;
      inner.recordValue(value > 0 ? Math.round(value) : 0);
    }
  }

  /** The summary of this histogram (see `summarize`). */
  summarize(): LatencySummary {
    this.flush();
    const count = this.inner.totalCount;
    if (count === 0) {
      return { count: 0, meanUs: 0, stddevUs: 0, minUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
    }
    const h = this.inner;
    return {
      count,
      meanUs: h.mean,
      stddevUs: h.stdDeviation,
      minUs: h.getValueAtPercentile(0),
      p50Us: h.getValueAtPercentile(50),
      p90Us: h.getValueAtPercentile(90),
      p99Us: h.getValueAtPercentile(99),
      p999Us: h.getValueAtPercentile(99.9),
      maxUs: h.getValueAtPercentile(100),
    };
  }
}

/**
 * Count, mean, standard deviation and percentiles of a histogram. min and max are read as the 0th
 * and 100th percentiles (lowest/highest equivalent values) rather than the recorded extremes, so a
 * summary recomputed from an encoded histogram equals the original one.
 */
export function summarize(histogram: LatencyHistogram): LatencySummary {
  return histogram.summarize();
}

/** Decodes, summarizes and frees: the summary of an encoded histogram. */
export function summarizeEncoded(encoded: string): LatencySummary {
  const histogram = LatencyHistogram.decode(encoded);
  try {
    return summarize(histogram);
  } finally {
    histogram.destroy();
  }
}

/** Adds encoded histograms exactly and returns the encoding of the sum. */
export function addEncoded(encoded: readonly string[]): string {
  const total = LatencyHistogram.create();
  try {
    for (const e of encoded) {
      const part = LatencyHistogram.decode(e);
      try {
        total.add(part);
      } finally {
        part.destroy();
      }
    }
    return total.encode();
  } finally {
    total.destroy();
  }
}
