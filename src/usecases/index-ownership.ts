/**
 * Use case: which indexes are perfbench's, also after a crash (issue 15). The comment that marks an
 * index as perfbench's (index-comment.sql) is written after the build, so a client killed during a
 * CONCURRENTLY build (which the server finishes anyway) or during a bench (whose run index is
 * dropped only at the end) used to leave an index nobody owned, or one the next run took for
 * pre-existing. Now every build is recorded first, with its owner (db/runs.ts), and:
 *
 * - `reconcileIndexes` (run by bench, index add and index drop under the table's run lock) settles
 *   the records whose owner's PostgreSQL session is gone: a bench's run index is dropped; an `index
 *   add` build that completed is marked as perfbench's, one that did not (INVALID) is dropped;
 * - `addOwnedIndex` records, builds, and for `index add` forgets the record once the comment is there;
 * - `dropRunIndex` drops a run's index at its end on a fresh connection (the run's own may have died
 *   with a server restart), and only while the record still says it is this run's.
 *
 * "Owner gone" means the session that ran the build is no longer connected: it outlives a killed
 * client only while it still runs a statement (a build), and then the build must not be touched.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import {
  addIndex, defaultIndexName, dropIndexes, dropIndexNamed, listIndexes, requireColumn,
  type AddIndexOutcome, type AddIndexRequest,
} from '../db/indexes.js';
import { connectClient } from '../db/connection.js';
import { readIntents, recordIntent, settleIntent, type IndexDisposition, type IndexIntent } from '../db/runs.js';
import { firstLine, interruptedError, UserError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Identifier } from '../workload/identifiers.js';
import type { FilterTarget } from '../workload/workload.js';
import { describeOwner } from './owner-text.js';
import type { TableLease } from './table-lease.js';

/** What reconcileIndexes did. */
export interface Reconciled {
  /** Records whose owner is still connected (left alone). */
  live: IndexIntent[];
  /** Indexes it dropped. */
  dropped: string[];
}

/**
 * Settles the records of the table whose owner is gone, saying one line for each index it removed
 * or marked.
 */
export async function reconcileIndexes(client: pg.ClientBase, table: Identifier, say: (line: string) => void): Promise<Reconciled> {
  const outcome: Reconciled = { live: [], dropped: [] };
  for (const intent of await readIntents(client, table)) {
    if (intent.ownerConnected) {
      outcome.live.push(intent);
      continue;
    }
    const { action, line } = orphanSettlement(intent, table);
    if (!(await settleIntent(client, intent, action))) continue;
    if (action === 'drop') outcome.dropped.push(intent.name);
    if (line) say(line);
  }
  return outcome;
}

/** What to do with a record whose owner is gone, and the line that says so. */
function orphanSettlement(intent: IndexIntent, table: Identifier): { action: 'drop' | 'mark' | 'forget'; line?: string } {
  const who = describeOwner(intent.owner);
  if (intent.state === 'absent') return { action: 'forget' };
  if (intent.disposition === 'run') {
    return { action: 'drop', line: `removed index ${intent.name} on ${table.text}: a perfbench ${intent.owner.command} made it for its run and ended without dropping it (${who})` };
  }
  if (intent.state === 'valid') {
    return { action: 'mark', line: `index ${intent.name} on ${table.text} was built by a perfbench ${intent.owner.command} that ended before marking it (${who}); it is marked as perfbench's now` };
  }
  return { action: 'drop', line: `removed the INVALID index ${intent.name} on ${table.text}, left by an interrupted perfbench ${intent.owner.command} (${who})` };
}

/** An index built under a lease; `schema` is set while a record of it remains (a bench's run index). */
export interface OwnedIndex {
  outcome: AddIndexOutcome;
  recordedSchema?: string;
}

/**
 * Builds the index unless an equivalent one exists, recording it first (when the lease may record).
 * 'keep' (`index add`): the record goes once the mark is written. 'run' (bench): it stays until
 * `dropRunIndex`. Ctrl-C cancels the build; an index this call created does not outlive it.
 */
export async function addOwnedIndex(runtime: Runtime, client: pg.Client, request: AddIndexRequest, lease: TableLease,
  disposition: IndexDisposition): Promise<OwnedIndex> {
  const { table, column } = await requireColumn(client, request.table, request.column);
  const name = defaultIndexName(table, column, request.method);
  // Ctrl-C from here on cancels the statement running; one that came earlier (while waiting for the
  // lease) stops before anything is built.
  const stopCancelling = runtime.cancelOnAbort(client);
  if (runtime.signal.aborted) {
    stopCancelling();
    throw interruptedError(`stopped before building the index; nothing was changed on ${table.text}`);
  }
  // Until the catalog says otherwise, an index of that name counts as there before (never dropped here).
  let existedBefore = true;
  let schema: string | undefined;
  const forget = async () => {
    if (schema !== undefined) await settleIntent(client, { schema, name, owner: lease.owner }, 'forget');
  };
  try {
    const existing = await listIndexes(client, table);
    existedBefore = existing.some((index) => index.name === name);
    const equivalent = existing.some((index) => index.valid && !index.partial && index.method === request.method && index.columns.length === 1 && index.columns[0] === column.name);
    if (!equivalent && lease.records) {
      schema = await recordIntent(client, { table, index: name, column, disposition, owner: lease.owner });
      if (schema === undefined) throw await busyError(client, table, name);
    }
    const outcome = await addIndex(client, { ...request, table, column });
    if (!outcome.created || disposition === 'keep') await forget();
    return { outcome, ...(outcome.created && disposition === 'run' && schema !== undefined ? { recordedSchema: schema } : {}) };
  } catch (error) {
    if (runtime.signal.aborted) {
      // Ctrl-C can land after the build committed (on the statements that follow it): an index this
      // call created must not outlive the interruption, whatever statement the cancel hit.
      if (!existedBefore) await dropIndexNamed(client, table, name);
      await forget().catch(() => undefined);
      throw interruptedError(`index build cancelled; no index was left behind on ${table.text}`);
    }
    // A failed build leaves no index (addIndex drops a concurrent build's leftover): its record goes
    // too. If the index is somehow still there, the record stays, so it remains perfbench's.
    const left = await listIndexes(client, table).then((indexes) => indexes.some((index) => index.name === name), () => true);
    if (!left || existedBefore) await forget().catch(() => undefined);
    throw error;
  } finally {
    stopCancelling();
  }
}

/** The index is recorded by someone whose session still runs: most likely a build whose client died. */
async function busyError(client: pg.ClientBase, table: Identifier, name: string): Promise<UserError> {
  const holder = (await readIntents(client, table)).find((intent) => intent.name === name);
  if (!holder) return new UserError(`index ${name} on ${table.text} was being recorded by another perfbench run`, 'run again');
  const clientGone = holder.owner.host === hostname() && !processAlive(holder.owner.pid);
  const state = clientGone ? `its client is gone, but PostgreSQL session ${holder.backendPid} is still building it` : `PostgreSQL session ${holder.backendPid}`;
  return new UserError(`index ${name} on ${table.text} is being built by another perfbench ${holder.owner.command} (${describeOwner(holder.owner)}; ${state})`,
    'run again when that build has finished');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drops a bench's run index at the end of the run, on a connection of its own: the run's
 * connections may have died with the server (a restart mid-run). Only while the record still says
 * the index is this run's: a later run that found this one gone may have taken the name over.
 */
export async function dropRunIndex(runtime: Runtime, filter: FilterTarget, index: OwnedIndex, lease: TableLease): Promise<void> {
  const { table } = filter;
  const { name } = index.outcome;
  const giveUp = (error: unknown) => new Error(`could not drop index ${name}, made for the run (${firstLine((error as Error).message)}); ` +
    `the next perfbench bench on ${table.text}, or \`perfbench index drop --table ${table.text}\`, removes it`);
  let client: pg.Client;
  try {
    client = await connectClient(await runtime.database(), runtime.config.connectTimeoutMs);
  } catch (error) {
    throw giveUp(error);
  }
  try {
    if (index.recordedSchema !== undefined) {
      await settleIntent(client, { schema: index.recordedSchema, name, owner: lease.owner }, 'drop');
    } else {
      // No record (a role that may not write the bookkeeping): the mark says it is perfbench's.
      await dropIndexes(client, { table, column: filter.column, name, force: false, concurrently: false });
    }
  } catch (error) {
    throw giveUp(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
