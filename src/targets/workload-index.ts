/**
 * Targets: the candidate index of bench --workload's `index=EXPR` path, built before each of the
 * path's runs and dropped after it, plainly or (`--concurrently`) with CREATE/DROP INDEX
 * CONCURRENTLY, which take no lock that blocks writes and cannot run inside a transaction.
 *
 * Ownership (issue 15): the build is recorded first (perfbench_index_intents, disposition `run`,
 * on the session that builds), so an index whose run crashed, valid or left INVALID by a concurrent
 * build that never finished, is perfbench's and the next run on the table (or `perfbench index
 * drop`) removes it. A build that fails here leaves nothing: a concurrent build's INVALID index is
 * dropped and the record forgotten before the one-line error is raised.
 */
import type pg from 'pg';
import { createCandidateIndex, dropCandidateIndex } from '../db/workload-queries.js';
import { forgetIntent, recordIntent, type RunOwner } from '../db/runs.js';
import { firstLine, isPostgresError, UserError } from '../errors.js';
import { quote, type Identifier } from '../workload/identifiers.js';

/** A candidate index of an `index=EXPR` path, its parts already quoted for SQL. */
export interface CandidateIndex {
  /** As the user wrote it, for the path's name. */
  expression: string;
  /** Quoted, schema-qualified when the table is: the name to create and to drop. */
  nameSql: string;
  /** The bare index name as the catalog spells it (what a plan names); quoted, what CREATE INDEX takes (it lands in the table's schema). */
  name: string;
  tableSql: string;
  columnsSql: string;
  /** The table and columns as named (resolved through the catalog before the run). */
  table: Identifier;
  columns: Identifier[];
  /** `--concurrently`: CREATE INDEX CONCURRENTLY before each run, DROP INDEX CONCURRENTLY after it. */
  concurrently: boolean;
}

/** Who records the build: the run's owner (absent when the role may not write perfbench's bookkeeping). */
export interface CandidateOwnership {
  owner: RunOwner;
}

/** A built candidate: its record's schema while one is kept. */
export interface BuiltCandidate {
  recordedSchema?: string;
}

/**
 * Records (when it may) and builds the candidate on `client`, which must be outside a transaction
 * for a concurrent build. A leftover of the same name (perfbench's own pbw_ name; under the run
 * lock, after the orphans were settled) is dropped first. A failed build leaves no index and no
 * record, and is one line.
 */
export async function buildCandidate(client: pg.ClientBase, index: CandidateIndex, ownership: CandidateOwnership | undefined): Promise<BuiltCandidate> {
  let recordedSchema: string | undefined;
  if (ownership) {
    recordedSchema = await recordIntent(client, { table: index.table, index: index.name, column: index.columns[0]!, disposition: 'run', owner: ownership.owner });
    if (recordedSchema === undefined) {
      throw new UserError(`index ${index.name} on ${index.table.text} (the index=${index.expression} path's candidate) is recorded by another perfbench run that is still connected`,
        'run again when it has finished');
    }
  }
  try {
    await dropCandidateIndex(client, index.nameSql, false);
    await createCandidateIndex(client, quote(index.name), index.tableSql, index.columnsSql, index.concurrently);
  } catch (error) {
    // A concurrent build that failed after its first phase leaves an INVALID index: it goes now (CONCURRENTLY too:
    // a plain DROP would queue every write to the table behind the transactions it waits for), and so does the record.
    if (index.concurrently) await dropCandidateIndex(client, index.nameSql, true).catch(() => undefined);
    if (recordedSchema !== undefined && ownership) await forgetIntent(client, recordedSchema, index.name, ownership.owner.runId).catch(() => undefined);
    if (!isPostgresError(error)) throw error;
    throw new UserError(`the index=${index.expression} path could not build its candidate index${index.concurrently ? ' CONCURRENTLY' : ''}: ` +
      `PostgreSQL error ${error.code}: ${firstLine(error.message)}; nothing was left behind`, 'check the expression and the table, or run without that path');
  }
  return recordedSchema === undefined ? {} : { recordedSchema };
}

/** Drops the candidate (CONCURRENTLY with --concurrently), then forgets its record. */
export async function dropCandidate(client: pg.ClientBase, index: CandidateIndex, built: BuiltCandidate, ownership: CandidateOwnership | undefined): Promise<void> {
  await dropCandidateIndex(client, index.nameSql, index.concurrently);
  if (built.recordedSchema !== undefined && ownership) await forgetIntent(client, built.recordedSchema, index.name, ownership.owner.runId);
}
