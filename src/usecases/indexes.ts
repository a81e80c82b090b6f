/**
 * Use case: make sure the index exists, and put things back. `indexAdd`/`indexDrop` are what
 * `perfbench index add|drop` runs (`index list` is index-list.ts); `ensureRunIndex` is what bench
 * runs: create the index for the run when it is missing, and restore the previous state afterwards
 * (also after Ctrl-C, an error, a crash of perfbench or a restart of the server: see
 * index-ownership.ts).
 *
 * Commands that change a table's indexes take its run lock first (table-lease.ts), so they never
 * race a bench on that table; under the lock they settle what crashed runs left (reconcileIndexes).
 */
import type pg from 'pg';
import {
  dropIndexes, requireColumn,
  type AddIndexOutcome, type DropIndexRequest, type IndexMethod,
} from '../db/indexes.js';
import { interruptedError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { FilterTarget } from '../workload/workload.js';
import { addOwnedIndex, dropRunIndex, reconcileIndexes } from './index-ownership.js';
import { DEFAULT_LOCK, type LockOptions } from './lock-options.js';
import { acquireTableLease, type LeaseTalk, type TableLease } from './table-lease.js';

/** What `index add` builds. */
export interface IndexAddRequest extends FilterTarget {
  method: IndexMethod;
  /** CREATE INDEX CONCURRENTLY: no write lock, not in a transaction. */
  concurrently: boolean;
}

/**
 * Creates the index (idempotent), recorded as perfbench's before the build so a crash mid-build
 * cannot orphan it. Ctrl-C cancels the build; a concurrent build's leftovers are dropped.
 */
export async function indexAdd(runtime: Runtime, request: IndexAddRequest, lock: LockOptions = DEFAULT_LOCK): Promise<AddIndexOutcome> {
  const client = await runtime.client();
  const { table, column } = await requireColumn(client, request.table, request.column);
  const lease = await acquireTableLease(runtime, table, 'index add', lock, commandTalk(runtime));
  await reconcileIndexes(client, table, (line) => runtime.out.say(line));
  const { outcome } = await addOwnedIndex(runtime, client, { table, column, method: request.method, concurrently: request.concurrently }, lease, 'keep');
  return outcome;
}

/** Drops perfbench's index on the column (or `name`, with `force` for one perfbench did not create). */
export async function indexDrop(runtime: Runtime, request: DropIndexRequest, lock: LockOptions = DEFAULT_LOCK): Promise<string[]> {
  const client = await runtime.client();
  const { table } = await requireColumn(client, request.table, request.column);
  await acquireTableLease(runtime, table, 'index drop', lock, commandTalk(runtime));
  // A DROP INDEX can wait on a lock: Ctrl-C cancels it (the drop then did not happen).
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    // What a crashed run left is removed first (one line each); it counts among the dropped.
    const reconciled = await reconcileIndexes(client, table, (line) => runtime.out.say(line));
    return [...reconciled.dropped, ...await dropIndexes(client, { ...request, table })];
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError(`index drop cancelled; \`perfbench index list --table ${request.table.text}\` shows what remains`);
    throw error;
  } finally {
    stopCancelling();
  }
}

function commandTalk(runtime: Runtime): LeaseTalk {
  return { status: () => undefined, say: (line) => runtime.out.say(line), warn: (line) => runtime.out.warn(line) };
}

/** How ensureRunIndex tells what it did. */
export interface RunIndexOptions {
  /** Leave an index created for the run in place (`--keep-index`). */
  keep: boolean;
  status(text: string): void;
  say(line: string): void;
}

/**
 * The B-tree on the filter column for the duration of a run (under the run's lease): created when
 * missing, recorded as this run's, and then dropped by a deferred cleanup (runs on success, error
 * and Ctrl-C; after a crash, the next run or `index drop` does it) unless `keep`. An index that was
 * there before the run is left alone.
 */
export async function ensureRunIndex(runtime: Runtime, admin: pg.Client, filter: FilterTarget, lease: TableLease, options: RunIndexOptions): Promise<void> {
  options.status(`checking the index on ${filter.table.text}(${filter.column.text})`);
  const index = await addOwnedIndex(runtime, admin, { ...filter, method: 'btree', concurrently: false }, lease, options.keep ? 'keep' : 'run');
  const { outcome } = index;
  if (!outcome.created) return;
  const built = `created index ${outcome.name} for the run (${(outcome.buildMs / 1000).toFixed(1)} s)`;
  if (options.keep) {
    options.say(`${built}; --keep-index leaves it in place`);
    return;
  }
  options.say(`${built}; it is dropped afterwards (--keep-index keeps it)`);
  runtime.defer(() => dropRunIndex(runtime, filter, index, lease));
}
