/**
 * Database adapter, worker-thread entry: generates a dataset's rows and encodes them into binary
 * COPY chunks off the main thread, so generation overlaps the sending (copy-source.ts drives it).
 *
 * Protocol: the main thread posts a number, "n more chunks"; the worker answers each with
 * `{ chunk, rows }` (the chunk's memory transferred, not copied) and, after the last row, `{ done }`.
 * It never runs more than the asked-for chunks ahead, so a slow server holds it back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRowGenerator, type DatasetParams, type ProductRow } from '../workload/dataset.js';
import { BinaryRowWriter } from './copy-binary.js';

export interface CopyWorkerInput {
  params: DatasetParams;
  chunkBytes: number;
}

export type CopyWorkerMessage = { chunk: Uint8Array; rows: number } | { done: true };

/** Rows generated between checks of the credit: small next to a chunk (~13,000 rows per MB). */
const STEP_ROWS = 1_024;

if (parentPort) {
  const port = parentPort;
  const { params, chunkBytes } = workerData as CopyWorkerInput;
  const generator = createRowGenerator(params);
  let credit = 0;
  let rowsInChunk = 0;
  let finished = false;
  const writer = new BinaryRowWriter((chunk) => {
    // The writer allocates each chunk unpooled (its ArrayBuffer is its own), so it can be handed over.
    port.postMessage({ chunk, rows: rowsInChunk } satisfies CopyWorkerMessage, [chunk.buffer as ArrayBuffer]);
    rowsInChunk = 0;
    credit--;
  }, chunkBytes);
  // Counted after the write: a write that fills the chunk flushes it before taking its row.
  const emit = (row: Readonly<ProductRow>) => {
    writer.write(row);
    rowsInChunk++;
  };
  port.on('message', (more: number) => {
    credit += more;
    while (credit > 0 && !finished) {
      if (generator.next(emit, STEP_ROWS) > 0) continue;
      writer.end();
      finished = true;
      port.postMessage({ done: true } satisfies CopyWorkerMessage);
    }
  });
}
