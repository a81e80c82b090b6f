/**
 * Database adapter: the statements about streaming replication that `bench --replica-url` runs: is
 * a server a replica and of which cluster, the primary's WAL position, has a replica replayed up to
 * it, and the lag on both sides (the replica's replay position, the primary's pg_stat_replication).
 */
import type pg from 'pg';
import type { ReplicaLag, StandbyLag } from '../measure/replication.js';
import { sql } from './sql.js';

export interface ServerFacts {
  inRecovery: boolean;
  systemId: string;
  version: string;
}

export async function serverFacts(client: pg.ClientBase): Promise<ServerFacts> {
  return (await client.query<ServerFacts>(sql('replica-facts'))).rows[0]!;
}

/** The primary's pg_current_wal_lsn(). */
export async function currentWalLsn(client: pg.ClientBase): Promise<string> {
  return (await client.query<{ lsn: string }>(sql('primary-wal-lsn'))).rows[0]!.lsn;
}

/** Whether the replica has replayed up to `lsn`, where it is, and how many bytes short. */
export async function replayedPast(client: pg.ClientBase, lsn: string): Promise<{ done: boolean; replayLsn: string | null; bytesBehind: number | null }> {
  return (await client.query(sql('replica-replayed-past'), [lsn])).rows[0] as { done: boolean; replayLsn: string | null; bytesBehind: number | null };
}

/** The replica's lag against the primary's `primaryLsn` (fields it cannot tell are left out). */
export async function replicaLag(client: pg.ClientBase, server: string, primaryLsn: string): Promise<ReplicaLag> {
  const row = (await client.query(sql('replica-lag'), [primaryLsn])).rows[0] as Record<string, string | number | null>;
  return withoutNulls({ server, ...row }) as unknown as ReplicaLag;
}

/** pg_stat_replication on the primary. */
export async function standbys(client: pg.ClientBase): Promise<StandbyLag[]> {
  const rows = (await client.query(sql('primary-standbys'))).rows as Array<Record<string, string | number | null>>;
  return rows.map((row) => withoutNulls(row) as unknown as StandbyLag);
}

function withoutNulls(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null && value !== undefined));
}
