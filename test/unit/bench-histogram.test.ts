import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEncoded, histogramBackend, initHistograms, LatencyHistogram, summarize, summarizeEncoded } from '../../src/measure/histogram.js';

const backends = ['js', 'wasm'] as const;

describe.each(backends)('LatencyHistogram on %s', (backend) => {
  beforeAll(async () => {
    expect(await initHistograms(backend)).toBe(backend);
    expect(histogramBackend()).toBe(backend);
  });
  afterAll(async () => {
    await initHistograms('js');
  });

  it('summarizes 1..1000 µs exactly (values below 2048 µs are exact at 3 digits)', () => {
    const h = LatencyHistogram.create();
    expect(h.backend).toBe(backend);
    for (let v = 1; v <= 1000; v++) h.record(v);
    const s = summarize(h);
    expect(s).toMatchObject({ count: 1000, minUs: 1, p50Us: 500, p90Us: 900, p99Us: 990, p999Us: 999, maxUs: 1000 });
    expect(s.meanUs).toBeCloseTo(500.5, 6);
    expect(s.stddevUs).toBeCloseTo(Math.sqrt((1000 * 1000 - 1) / 12), 6);
    h.destroy();
    h.destroy(); // idempotent
    expect(() => h.record(1)).toThrow('destroyed'); // not held silently until a flush
  });

  it('summarizes an empty histogram as zeros', () => {
    const h = LatencyHistogram.create();
    expect(h.summarize()).toEqual({ count: 0, meanUs: 0, stddevUs: 0, minUs: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 });
    expect(h.valueAtPercentile(99)).toBe(0);
    h.destroy();
  });

  it('rounds fractions, clamps negatives to 0, records counts, resizes for huge values', () => {
    const h = LatencyHistogram.create();
    h.record(-5);
    h.record(1.4);
    h.record(1.6);
    h.recordMany(7, 3);
    h.recordMany(-1, 2);
    h.record(3_600_000_000); // one hour: beyond the initial 60 s range
    expect(h.buckets()).toEqual([
      { valueUs: 0, count: 3 },
      { valueUs: 1, count: 1 },
      { valueUs: 2, count: 1 },
      { valueUs: 7, count: 3 },
      { valueUs: h.valueAtPercentile(100), count: 1 },
    ]);
    expect(h.valueAtPercentile(100)).toBeGreaterThanOrEqual(3_600_000_000);
    expect(h.valueAtPercentile(100)).toBeLessThan(3_600_000_000 * 1.001);
    h.destroy();
  });

  it('recordCorrected back-fills value - k x interval down to the interval (recordValueWithExpectedInterval)', () => {
    const h = LatencyHistogram.create();
    h.recordCorrected(10_000, 1000);
    const expected = LatencyHistogram.create();
    for (const v of [10_000, 9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000, 1000]) expected.record(v);
    expect(h.buckets()).toEqual(expected.buckets());
    expect(h.totalCount).toBe(10);
    // Above 2048 µs buckets widen (3 significant digits): 10,000 µs reads as its bucket's top, 10,007.
    expect(h.valueAtPercentile(100)).toBe(10_007);
    expected.destroy();
    h.recordCorrected(500, 1000); // below the interval: recorded alone
    h.recordCorrected(-3, 1000);
    expect(h.totalCount).toBe(12);
    h.destroy();
  });

  it('encodes and decodes losslessly, and decoded histograms still auto-resize', () => {
    const h = LatencyHistogram.create();
    for (let v = 0; v < 5000; v += 7) h.record(v * 13);
    const encoded = h.encode();
    const d = LatencyHistogram.decode(encoded);
    expect(d.summarize()).toEqual(h.summarize());
    expect(d.buckets()).toEqual(h.buckets());
    expect(summarizeEncoded(encoded)).toEqual(h.summarize());
    d.record(1e12);
    expect(d.totalCount).toBe(h.totalCount + 1);
    h.destroy();
    d.destroy();
  });

  it('adds exactly: the sum equals a histogram of all values', () => {
    const all = LatencyHistogram.create();
    const parts = [LatencyHistogram.create(), LatencyHistogram.create(), LatencyHistogram.create()];
    for (let i = 0; i < 3000; i++) {
      const v = (i * 7919) % 250_000;
      all.record(v);
      parts[i % 3]!.record(v);
    }
    const sum = LatencyHistogram.create();
    for (const p of parts) sum.add(p);
    expect(sum.buckets()).toEqual(all.buckets());
    expect(sum.summarize()).toEqual(all.summarize());
    const viaEncoding = LatencyHistogram.decode(addEncoded(parts.map((p) => p.encode())));
    expect(viaEncoding.buckets()).toEqual(all.buckets());
    for (const x of [all, sum, viaEncoding, ...parts]) x.destroy();
  });

  it('every reader sees the values record() still holds in its buffer, whatever their number', () => {
    // 1, 255, 256 and 257 values: under, at and past the buffer's 256 (a partial, an exact and a second burst).
    for (const n of [1, 255, 256, 257, 1000]) {
      const values = Array.from({ length: n }, (_, i) => ((i * 104_729) % 50_000) - 3);
      const reference = LatencyHistogram.create();
      for (const v of values) reference.recordMany(v, 1);
      const readers: Array<(h: LatencyHistogram) => unknown> = [
        (h) => h.totalCount, (h) => h.valueAtPercentile(99), (h) => h.summarize(), (h) => h.buckets(),
        (h) => LatencyHistogram.decode(h.encode()).summarize(),
      ];
      for (const read of readers) {
        const h = LatencyHistogram.create();
        for (const v of values) h.record(v);
        expect(read(h)).toEqual(read(reference));
        h.destroy();
      }
      // add and subtract take the other side's held values too, and the receiver's own.
      const sum = LatencyHistogram.create();
      const part = LatencyHistogram.create();
      sum.record(5);
      for (const v of values) part.record(v);
      sum.add(part);
      expect(sum.totalCount).toBe(n + 1);
      const again = LatencyHistogram.create();
      for (const v of values) again.record(v);
      sum.subtract(again);
      expect(sum.buckets()).toEqual([{ valueUs: 5, count: 1 }]);
      // recordMany after held values keeps both; reset drops held values with the rest.
      part.record(9);
      part.recordMany(9, 2);
      expect(part.totalCount).toBe(n + 3);
      part.record(11);
      part.reset();
      expect(part.totalCount).toBe(0);
      for (const x of [reference, sum, part, again]) x.destroy();
    }
  });

  it('decoding garbage throws', () => {
    expect(() => LatencyHistogram.decode('bm90IGEgaGlzdG9ncmFt')).toThrow();
  });
});

describe('mixed backends', () => {
  it('adds a WASM histogram into a JS one and back', async () => {
    await initHistograms('wasm');
    const w = LatencyHistogram.create();
    w.record(10);
    w.record(20);
    await initHistograms('js');
    const j = LatencyHistogram.create();
    j.record(30);
    j.add(w);
    expect(j.buckets().map((b) => b.valueUs)).toEqual([10, 20, 30]);
    w.add(j);
    expect(w.totalCount).toBe(5);
    expect(w.backend).toBe('wasm');
    w.destroy();
    j.destroy();
  });
});
