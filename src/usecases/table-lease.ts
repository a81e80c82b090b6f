/**
 * Use case: runs on one table take turns (issue 15). Two CI jobs benchmarking one table at once
 * would create the same index (a raw 23505), drop it under each other's feet, and time each other's
 * load: so every perfbench command that changes a table's indexes (bench, index add, index drop)
 * first takes that table's run lock, a session-level advisory lock held by a connection of its own
 * for the whole command. A crashed client or a server restart ends the session and so frees the
 * lock; nothing has to be cleaned up for it.
 *
 * Why a lock rather than a shared, reference-counted run index: sharing the index would only fix the
 * index. Two runs measuring one table at once still compete for its CPU, buffers and I/O, so each
 * would print figures that are neither run's; one after the other, both are right.
 *
 * A run that finds the lock taken says who holds it (from perfbench_runs) and waits, up to
 * `timeoutMs`, or fails at once with `wait: false` (exit 1 either way when it gives up).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  ensureRunMetadata, forgetRunHolder, readRunHolder, recordRunHolder, releaseRunLock, tableKey, tryRunLock,
  type RunHolder, type RunOwner,
} from '../db/runs.js';
import { connectClient } from '../db/connection.js';
import { SQLSTATE } from '../db/sqlstate.js';
import { interruptedError, isPostgresError, UserError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Identifier } from '../workload/identifiers.js';
import type { LockOptions } from './lock-options.js';
import { describeOwner } from './owner-text.js';

const POLL_MS = 250;

/**
 * `exclusive`: the run has the table to itself. `shared`: the shards of one run (bench --shard),
 * which change nothing on the table, hold it together; a run that wants it exclusively waits for
 * all of them, and they wait for it.
 */
export type LeaseMode = 'exclusive' | 'shared';

/** The table's run lock, held until the runtime closes. */
export interface TableLease {
  table: Identifier;
  owner: RunOwner;
  /** perfbench's bookkeeping is writable here: the indexes this run builds are recorded. */
  records: boolean;
}

/** How acquiring talks: spinner status, lines and warnings on stderr. */
export interface LeaseTalk {
  status(text: string): void;
  say(line: string): void;
  warn(line: string): void;
}

/** This process, as the records and messages name it. */
export function newRunOwner(command: string): RunOwner {
  return { runId: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, command, pid: process.pid, host: hostname(), startedAt: new Date() };
}

/**
 * Takes the table's run lock (waiting as `lock` says) and records who holds it; the release is
 * deferred on the runtime, so it happens after the cleanups registered later (the run's index is
 * dropped while the lock is still held).
 */
export async function acquireTableLease(runtime: Runtime, table: Identifier, command: string, lock: LockOptions, talk: LeaseTalk,
  mode: LeaseMode = 'exclusive'): Promise<TableLease> {
  const session = await connectClient(await runtime.database(), runtime.config.connectTimeoutMs);
  let lost = false;
  session.on('error', () => void (lost = true));
  session.on('end', () => void (lost = true));
  const owner = newRunOwner(command);
  let key: string;
  let records: boolean;
  try {
    key = await tableKey(session, table);
    // Re-entrant per runtime: a second call for the same table (two index commands in one program)
    // must not wait for its own lock.
    const held = leases.get(runtime)?.get(key);
    if (held) {
      await session.end().catch(() => undefined);
      return held;
    }
    records = await ensureRunMetadata(session);
    if (!records) talk.warn(noRecordsWarning(table));
    await waitForLock(runtime, session, key, table, records, lock, talk, mode);
    owner.startedAt = new Date();
    // perfbench_runs has one row per table: shards sharing the lock do not record themselves.
    if (mode === 'shared') records = false;
    else if (records) records = await recordHolder(session, key, owner, table, talk);
  } catch (error) {
    await session.end().catch(() => undefined);
    throw error;
  }
  const lease: TableLease = { table, owner, records };
  const held = leases.get(runtime) ?? new Map<string, TableLease>();
  leases.set(runtime, held.set(key, lease));
  runtime.defer(async () => {
    held.delete(key);
    if (lost) {
      runtime.out.warn(`the run lock on ${table.text} was lost during the run (its PostgreSQL connection ended, e.g. a server restart): another perfbench run may have overlapped this one`);
      return;
    }
    try {
      if (records) await forgetRunHolder(session, key, owner);
      await releaseRunLock(session, key, mode === 'shared');
    } finally {
      await session.end().catch(() => undefined);
    }
  });
  return lease;
}

/** The leases each runtime holds, by table key. */
const leases = new WeakMap<Runtime, Map<string, TableLease>>();

async function waitForLock(runtime: Runtime, session: pg.ClientBase, key: string, table: Identifier, records: boolean,
  lock: LockOptions, talk: LeaseTalk, mode: LeaseMode): Promise<void> {
  const started = performance.now();
  let told = '';
  while (!(await tryRunLock(session, key, mode === 'shared'))) {
    const holder = await readRunHolder(session, key, records);
    if (!holder) continue; // released between the two statements: try again at once
    const who = describeHolder(holder);
    if (!lock.wait || lock.timeoutMs === 0) {
      throw new UserError(`another perfbench run is using ${table.text} (${who})`, 'run again when it has finished (without --no-wait perfbench waits for it), or use another --table');
    }
    const waitedMs = performance.now() - started;
    if (waitedMs >= lock.timeoutMs) {
      throw new UserError(`gave up waiting for another perfbench run on ${table.text} after ${formatWait(lock.timeoutMs)} (${who})`,
        'run again when it has finished, or raise --lock-timeout');
    }
    if (who !== told) {
      talk.say(`waiting for another perfbench run on ${table.text} (${who}); up to ${formatWait(lock.timeoutMs)} (--lock-timeout; --no-wait fails at once)`);
      told = who;
    }
    talk.status(`waiting for another perfbench run on ${table.text}`);
    await sleep(Math.min(POLL_MS, lock.timeoutMs - waitedMs), undefined, { signal: runtime.signal }).catch(() => undefined);
    if (runtime.signal.aborted) throw interruptedError(`stopped while waiting for another perfbench run on ${table.text}; nothing was changed`);
  }
}

/** Records the holder; a role that may not write the bookkeeping goes on without it (one warning). */
async function recordHolder(session: pg.ClientBase, key: string, owner: RunOwner, table: Identifier, talk: LeaseTalk): Promise<boolean> {
  try {
    await recordRunHolder(session, key, owner);
    return true;
  } catch (error) {
    if (!isPostgresError(error) || error.code !== SQLSTATE.insufficientPrivilege) throw error;
    talk.warn(noRecordsWarning(table));
    return false;
  }
}

function noRecordsWarning(table: Identifier): string {
  return `this role may not write perfbench's bookkeeping tables (perfbench_runs, perfbench_index_intents): runs on ${table.text} ` +
    'still take turns, but an index left behind by a crashed run will not be recognised as perfbench\'s';
}

/** "bench, pid 4242 on host ci-7, since 2025-06-01 12:03:04 UTC", or the session when the run did not record itself. */
export function describeHolder(holder: RunHolder): string {
  return holder.run ? describeOwner(holder.run) : `PostgreSQL session ${holder.backendPid}; it did not record which run it is`;
}

function formatWait(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
