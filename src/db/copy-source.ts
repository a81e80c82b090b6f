/**
 * Database adapter: the byte stream of a dataset's binary COPY (header, rows, trailer), generated
 * either on the main thread or in a worker thread that runs ahead of the sending.
 */
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import { createRowGenerator, type DatasetParams } from '../workload/dataset.js';
import { BinaryRowWriter, copyHeader, copyTrailer } from './copy-binary.js';
import type { CopyWorkerInput, CopyWorkerMessage } from './copy-worker.js';

/** Where the rows are made: `auto` is the worker where it can pay off (`usesWorker`). */
export type RowGeneration = 'auto' | 'worker' | 'inline';

/** Rows sent so far, after each chunk. */
export type RowsSent = (rows: number) => void;

/**
 * Below this the worker's start-up (~30 ms compiled, a few hundred under tsx) costs more than
 * overlapping saves: generating and encoding 50,000 rows takes ~15 ms of CPU.
 */
export const WORKER_MIN_ROWS = 50_000;

/**
 * The worker needs a core of its own beside the main thread and the server's backend (on the same
 * machine, as a local server is). With fewer, the three take turns: the rows are already made while
 * the server digests the previous chunk (the socket buffers them), so the thread only adds its
 * start-up and hand-over (bench:seed on 2 cores: the worker at 0.74–0.85x the inline rate).
 */
export const WORKER_MIN_CORES = 3;

/** Whether a load of `rows` rows generates them in a worker thread. */
export function usesWorker(rows: number, generation: RowGeneration, cores = availableParallelism()): boolean {
  if (generation !== 'auto') return generation === 'worker';
  return rows >= WORKER_MIN_ROWS && cores >= WORKER_MIN_CORES;
}

const CHUNK_BYTES = 1 << 20;
/** Chunks the worker may have ready or in flight: enough to cover a hiccup, little memory (4 MB). */
const WORKER_WINDOW = 4;
const INLINE_BATCH_ROWS = 16_384;

export function copySource(params: DatasetParams, generation: RowGeneration, onRows: RowsSent): Readable {
  return usesWorker(params.rows, generation) ? workerCopySource(params, onRows) : inlineCopySource(params, onRows);
}

/** Generates a batch per read on the main thread: the stream's back-pressure paces it, but it takes turns with the sending. */
function inlineCopySource(params: DatasetParams, onRows: RowsSent): Readable {
  const generator = createRowGenerator(params);
  let sent = 0;
  let started = false;
  return new Readable({
    highWaterMark: 4,
    objectMode: true,
    read() {
      if (!started) {
        started = true;
        this.push(copyHeader());
      }
      const chunks: Buffer[] = [];
      const writer = new BinaryRowWriter((chunk) => chunks.push(chunk), CHUNK_BYTES);
      const emitted = generator.next((row) => writer.write(row), INLINE_BATCH_ROWS);
      writer.end();
      for (const chunk of chunks) this.push(chunk);
      if (emitted === 0) {
        this.push(copyTrailer());
        this.push(null);
        return;
      }
      sent += emitted;
      onRows(sent);
    },
  });
}

/**
 * The rows come from copy-worker.ts, which is granted chunks WORKER_WINDOW at a time: each chunk
 * the stream takes is replaced by asking for one more, so the worker generates while the main
 * thread sends and the server inserts. Destroying the stream (an error, Ctrl-C) stops the worker.
 */
function workerCopySource(params: DatasetParams, onRows: RowsSent): Readable {
  let worker: Worker | undefined;
  let asked = 0;
  let sent = 0;
  let done = false;
  const topUp = () => {
    if (done || !worker || asked >= WORKER_WINDOW) return;
    worker.postMessage(WORKER_WINDOW - asked);
    asked = WORKER_WINDOW;
  };
  const source = new Readable({
    highWaterMark: WORKER_WINDOW,
    objectMode: true,
    construct(callback) {
      try {
        worker = startWorker(new URL('./copy-worker.js', import.meta.url), { workerData: { params, chunkBytes: CHUNK_BYTES } satisfies CopyWorkerInput });
      } catch (error) {
        callback(error as Error);
        return;
      }
      worker.on('message', (message: CopyWorkerMessage) => {
        if ('done' in message) {
          done = true;
          source.push(copyTrailer());
          source.push(null);
          void worker!.terminate();
          return;
        }
        asked--;
        sent += message.rows;
        onRows(sent);
        const { buffer, byteOffset, byteLength } = message.chunk;
        if (source.push(Buffer.from(buffer, byteOffset, byteLength))) topUp();
      });
      worker.once('error', (error) => source.destroy(error));
      worker.once('exit', (code) => {
        if (!done) source.destroy(new Error(`the row generator thread stopped (exit code ${code}) before the last row`));
      });
      source.push(copyHeader());
      callback();
    },
    read() {
      topUp();
    },
    destroy(error, callback) {
      done = true;
      void worker?.terminate();
      callback(error);
    },
  });
  return source;
}
