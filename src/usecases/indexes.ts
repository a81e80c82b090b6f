/**
 * Use case: make sure the index exists, and put things back. `indexAdd`/`indexDrop`/`indexList` are
 * what `perfbench index` runs; `ensureRunIndex` is what bench runs: create the index for the run
 * when it is missing, and restore the previous state afterwards (also after Ctrl-C or an error).
 */
import type pg from 'pg';
import {
  addIndex, defaultIndexName, dropIndexNamed, dropIndexes, listIndexes, requireTable,
  type AddIndexOutcome, type DropIndexRequest, type IndexInfo, type IndexMethod,
} from '../db/indexes.js';
import { interruptedError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Identifier } from '../workload/identifiers.js';
import type { FilterTarget } from '../workload/workload.js';

/** What `index add` builds. */
export interface IndexAddRequest extends FilterTarget {
  method: IndexMethod;
  /** CREATE INDEX CONCURRENTLY: no write lock, not in a transaction. */
  concurrently: boolean;
}

/** Creates the index (idempotent). Ctrl-C cancels the build; a concurrent build's leftovers are dropped. */
export async function indexAdd(runtime: Runtime, request: IndexAddRequest): Promise<AddIndexOutcome> {
  const { table, column, method, concurrently } = request;
  const client = await runtime.client();
  const name = defaultIndexName(table, column, method);
  const existedBefore = (await listIndexes(client, table)).some((index) => index.name === name);
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    return await addIndex(client, { table, column, method, concurrently });
  } catch (error) {
    if (!runtime.signal.aborted) throw error;
    // Ctrl-C can land after the build committed (on the statements that follow it): an index this
    // call created must not outlive the interruption, whatever statement the cancel hit.
    if (!existedBefore) await dropIndexNamed(client, table, name);
    throw interruptedError(`index build cancelled; no index was left behind on ${table.text}`);
  } finally {
    stopCancelling();
  }
}

/** Drops perfbench's index on the column (or `name`, with `force` for one perfbench did not create). */
export async function indexDrop(runtime: Runtime, request: DropIndexRequest): Promise<string[]> {
  const client = await runtime.client();
  // A DROP INDEX can wait on a lock: Ctrl-C cancels it (the drop then did not happen).
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    return await dropIndexes(client, request);
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError(`index drop cancelled; \`perfbench index list --table ${request.table.text}\` shows what remains`);
    throw error;
  } finally {
    stopCancelling();
  }
}

/** Every index of the table (a usage error when the table does not exist). */
export async function indexList(runtime: Runtime, table: Identifier): Promise<IndexInfo[]> {
  const client = await runtime.client();
  return listIndexes(client, await requireTable(client, table));
}

/** How ensureRunIndex tells what it did. */
export interface RunIndexOptions {
  /** Leave an index created for the run in place (`--keep-index`). */
  keep: boolean;
  status(text: string): void;
  say(line: string): void;
}

/**
 * The B-tree on the filter column for the duration of a run: created when missing, and then dropped
 * by a deferred cleanup (runs on success, error and Ctrl-C) unless `keep`. An index that was there
 * before the run is left alone.
 */
export async function ensureRunIndex(runtime: Runtime, admin: pg.ClientBase, filter: FilterTarget, options: RunIndexOptions): Promise<void> {
  options.status(`checking the index on ${filter.table.text}(${filter.column.text})`);
  const outcome = await indexAdd(runtime, { ...filter, method: 'btree', concurrently: false });
  if (!outcome.created) return;
  const built = `created index ${outcome.name} for the run (${(outcome.buildMs / 1000).toFixed(1)} s)`;
  if (options.keep) {
    options.say(`${built}; --keep-index leaves it in place`);
    return;
  }
  options.say(`${built}; it is dropped afterwards (--keep-index keeps it)`);
  runtime.defer(async () => {
    await dropIndexes(admin, { table: filter.table, column: filter.column, name: outcome.name, force: false, concurrently: false });
  });
}
