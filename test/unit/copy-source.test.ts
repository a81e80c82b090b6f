import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { copySource, usesWorker, WORKER_MIN_ROWS } from '../../src/db/copy-source.js';
import type { DatasetParams } from '../../src/workload/dataset.js';

/** The whole COPY stream's SHA-256, its length, and the progress reports along the way. */
async function digest(source: Readable, progress: number[]): Promise<{ sha256: string; bytes: number; last: number | undefined }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes, last: progress.at(-1) };
}

function stream(params: DatasetParams, generation: 'worker' | 'inline'): Promise<{ sha256: string; bytes: number; last: number | undefined }> {
  const progress: number[] = [];
  return digest(copySource(params, generation, (rows) => progress.push(rows)), progress);
}

describe('the binary COPY stream of a dataset', () => {
  // Pinned: these bytes are what every perfbench version has seeded for these parameters (the
  // fingerprint promises it). A change here must bump GENERATOR_VERSION in workload/dataset.ts.
  const uniform: DatasetParams = { rows: 120_000, categories: 1_000, distribution: 'uniform', skew: 0, seed: 42 };
  const zipf: DatasetParams = { rows: 50_000, categories: 37, distribution: 'zipf', skew: 1.1, seed: 7 };

  it('is the same bytes from a worker thread as from the main thread, several chunks long', async () => {
    const [inline, worker] = [await stream(uniform, 'inline'), await stream(uniform, 'worker')];
    expect(worker).toEqual(inline);
    expect(worker.bytes).toBeGreaterThan(8 * (1 << 20)); // twice the chunks the worker may run ahead
    expect(worker.last).toBe(uniform.rows);
  });

  it('keeps the bytes perfbench has always seeded', async () => {
    expect((await stream(zipf, 'worker')).sha256).toBe((await stream(zipf, 'inline')).sha256);
    expect((await stream(zipf, 'inline')).sha256).toBe(ZIPF_STREAM_SHA256);
  });

  it('stops the worker when the stream is destroyed half way', async () => {
    const source = copySource({ ...uniform, rows: 2_000_000 }, 'worker', () => undefined);
    let chunks = 0;
    for await (const _chunk of source) {
      if (++chunks === 3) break; // for-await's break destroys the stream
    }
    expect(source.destroyed).toBe(true);
  });

  it('uses the worker by itself only for big loads on a machine with a core to spare for it', () => {
    expect(usesWorker(WORKER_MIN_ROWS, 'auto', 8)).toBe(true);
    expect(usesWorker(WORKER_MIN_ROWS - 1, 'auto', 8)).toBe(false);
    expect(usesWorker(1_000_000, 'auto', 2)).toBe(false);
    expect(usesWorker(10, 'worker', 1)).toBe(true);
    expect(usesWorker(1_000_000, 'inline', 64)).toBe(false);
  });
});

/** Header, rows and trailer as the encoder before the worker (commit f4e0112) wrote them. */
const ZIPF_STREAM_SHA256 = 'e03344c2472dc408d36de0b073a3e9e75947aa56a76fb5c66e1167308969d6b1';
