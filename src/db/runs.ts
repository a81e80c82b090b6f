/**
 * Database adapter: perfbench's run bookkeeping (issue 15). A table's run lock (a session-level
 * advisory lock) makes runs on one table take turns; perfbench_runs says who holds it; and
 * perfbench_index_intents records every index perfbench builds, with its owner, before the build,
 * so that an index whose owner crashed is still known to be perfbench's. Every statement is in
 * sql/run-*.sql and sql/index-intent*.sql, each saying why it exists.
 */
import type pg from 'pg';
import type { SqlSession } from './lean-session.js';
import { isPostgresError } from '../errors.js';
import { quote, type Identifier } from '../workload/identifiers.js';
import { sql } from './sql.js';
import { SQLSTATE } from './sqlstate.js';

/** Who runs: enough to tell a user which process to wait for, and to tell runs apart. */
export interface RunOwner {
  /** Random, unique per run. */
  runId: string;
  /** `bench`, `index add`, `index drop`. */
  command: string;
  pid: number;
  host: string;
  startedAt: Date;
}

/**
 * Creates the bookkeeping tables when missing. False when the role may not create them (no CREATE
 * on the schema): runs then still take turns through the lock, without the records.
 */
export async function ensureRunMetadata(client: pg.ClientBase): Promise<boolean> {
  const state = (await client.query<{ runs: boolean; intents: boolean }>(sql('run-metadata-state'))).rows[0]!;
  if (state.runs && state.intents) return true;
  try {
    await client.query('BEGIN');
    await client.query(sql('run-metadata-guard'));
    await client.query(sql('run-metadata-create-runs'));
    await client.query(sql('run-metadata-create-intents'));
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isPostgresError(error) && error.code === SQLSTATE.insufficientPrivilege) return false;
    throw error;
  }
}

/** Whether the intents table exists (reading commands never create it). */
export async function hasIntents(client: SqlSession): Promise<boolean> {
  return (await client.query<{ intents: boolean }>(sql('run-metadata-state'))).rows[0]!.intents;
}

/** The key of the table's run lock: its "schema.name", also for a table not created yet. */
export async function tableKey(client: pg.ClientBase, table: Identifier): Promise<string> {
  const result = await client.query<{ key: string }>(sql('run-table-key'), [table.sql, table.schema ?? null, table.name]);
  return result.rows[0]!.key;
}

/** Takes the table's run lock on this session if it is free (shared: unless a run holds it exclusively); never waits. */
export async function tryRunLock(client: pg.ClientBase, key: string, shared = false): Promise<boolean> {
  return (await client.query<{ locked: boolean }>(sql(shared ? 'run-lock-try-shared' : 'run-lock-try'), [key])).rows[0]!.locked;
}

export async function releaseRunLock(client: pg.ClientBase, key: string, shared = false): Promise<void> {
  await client.query(sql(shared ? 'run-lock-release-shared' : 'run-lock-release'), [key]);
}

/** The holder of a run lock, as far as it is known. */
export interface RunHolder {
  /** The PostgreSQL session holding the lock. */
  backendPid: number;
  /** The perfbench run behind it, when it recorded itself. */
  run?: Omit<RunOwner, 'runId'> & { runId: string };
}

/** Who holds the table's run lock now (undefined: nobody, it was just released). */
export async function readRunHolder(client: pg.ClientBase, key: string, withRecords: boolean): Promise<RunHolder | undefined> {
  if (!withRecords) {
    const row = (await client.query<{ backend_pid: number }>(sql('run-lock-holder'), [key])).rows[0];
    return row ? { backendPid: row.backend_pid } : undefined;
  }
  const row = (await client.query(sql('run-holder-read'), [key])).rows[0];
  if (!row) return undefined;
  return {
    backendPid: row.backend_pid,
    ...(row.run_id ? { run: { runId: row.run_id, command: row.command, pid: row.pid, host: row.host, startedAt: row.started_at } } : {}),
  };
}

export async function recordRunHolder(client: pg.ClientBase, key: string, owner: RunOwner): Promise<void> {
  await client.query(sql('run-holder-record'), [key, owner.runId, owner.command, owner.pid, owner.host, owner.startedAt]);
}

export async function forgetRunHolder(client: pg.ClientBase, key: string, owner: RunOwner): Promise<void> {
  await client.query(sql('run-holder-forget'), [key, owner.runId]);
}

/** What happens to a recorded index when its owner is done: kept (`index add`) or dropped (a bench's run index). */
export type IndexDisposition = 'keep' | 'run';

/** One recorded index of a table, with its owner and its state now. */
export interface IndexIntent {
  schema: string;
  name: string;
  column: string;
  disposition: IndexDisposition;
  owner: RunOwner;
  /** The session that ran (or runs) the build. */
  backendPid: number;
  /** That session is still connected: the owner may still be working (a build can outlive its client). */
  ownerConnected: boolean;
  /** The index now: valid, invalid (a build that did not finish), or absent. */
  state: 'valid' | 'invalid' | 'absent';
}

export interface IntentRequest {
  table: Identifier;
  index: string;
  column: Identifier;
  disposition: IndexDisposition;
  owner: RunOwner;
}

/**
 * Records the intent on the session that will build the index (its pid is the owner's session);
 * commits on its own, before the build. Returns the index's schema, or undefined when the index is
 * already recorded (by someone else: the caller reports who).
 */
export async function recordIntent(client: pg.ClientBase, request: IntentRequest): Promise<string | undefined> {
  const { owner } = request;
  const result = await client.query<{ index_schema: string }>(sql('index-intent-record'), [
    request.table.sql, request.index, request.column.name, request.disposition, owner.runId, owner.command, owner.pid, owner.host, owner.startedAt, request.table.text,
  ]);
  return result.rows[0]?.index_schema;
}

/** Removes the record while it is still `runId`'s; true when it was. */
export async function forgetIntent(client: pg.ClientBase, schema: string, index: string, runId: string): Promise<boolean> {
  return ((await client.query(sql('index-intent-forget'), [schema, index, runId])).rowCount ?? 0) > 0;
}

/** The recorded indexes of the table (none when the bookkeeping does not exist). */
export async function readIntents(client: SqlSession, table: Identifier): Promise<IndexIntent[]> {
  if (!(await hasIntents(client))) return [];
  const result = await client.query(sql('index-intents-read'), [table.sql]);
  return result.rows.map((row) => ({
    schema: row.index_schema,
    name: row.index_name,
    column: row.column_name,
    disposition: row.disposition,
    owner: { runId: row.run_id, command: row.command, pid: row.pid, host: row.host, startedAt: row.started_at },
    backendPid: row.backend_pid,
    ownerConnected: row.owner_connected,
    state: row.valid === null ? 'absent' : row.valid ? 'valid' : 'invalid',
  }));
}

/** What to do with a recorded index whose owner is gone. */
export type Settlement = 'drop' | 'mark' | 'forget';

/**
 * In one transaction: removes the record (only while it is still the same owner's, so two
 * reconcilers cannot both act) and then drops the index, marks it as perfbench's
 * (index-comment.sql), or leaves it. True when this call settled it.
 */
export async function settleIntent(client: pg.ClientBase, intent: Pick<IndexIntent, 'schema' | 'name' | 'owner'>, action: Settlement): Promise<boolean> {
  const index = `${quote(intent.schema)}.${quote(intent.name)}`;
  await client.query('BEGIN');
  try {
    const mine = await forgetIntent(client, intent.schema, intent.name, intent.owner.runId);
    if (mine && action === 'drop') await client.query(sql('index-drop', { concurrently: '', index }));
    if (mine && action === 'mark') await client.query(sql('index-comment', { index }));
    await client.query('COMMIT');
    return mine;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
