/**
 * A private primary with streaming replicas on loopback, for the read-replica tests: the primary is
 * a PrivatePostgres (initdb, trust, wal_level replica by default, replication allowed on loopback by
 * initdb's pg_hba.conf), each replica a `pg_basebackup -R -X stream` of it started on a free port
 * (private-postgres.ts: as root, both run as the `postgres` user). `start` returns once the primary
 * reports every replica streaming in pg_stat_replication; `stop` tears all of them down.
 */
import pg from 'pg';
import { PrivatePostgres } from './private-postgres.js';

export interface ReplicatedCluster {
  primary: PrivatePostgres;
  replicas: PrivatePostgres[];
  /** A URL for `database` on the primary / on replica k. */
  primaryUrl(database?: string): string;
  replicaUrl(k: number, database?: string): string;
  /** Polls until the primary sees `count` replicas streaming (default: all of them), at most `timeoutMs`. */
  waitForStreaming(count?: number, timeoutMs?: number): Promise<void>;
  /** Polls until every running replica has replayed the primary's WAL up to now. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startReplicatedCluster(replicaCount = 1): Promise<ReplicatedCluster> {
  const primary = await PrivatePostgres.start();
  const replicas: PrivatePostgres[] = [];
  const cluster: ReplicatedCluster = {
    primary,
    replicas,
    primaryUrl: (database) => primary.url(database),
    replicaUrl: (k, database) => replicas[k]!.url(database),
    async waitForStreaming(count = replicas.length, timeoutMs = 30_000) {
      await poll(`${count} replica(s) streaming`, timeoutMs, async () => {
        const rows = await query(primary.url(), "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'");
        return (rows[0]!['n'] as number) >= count;
      });
    },
    async waitForReplay(timeoutMs = 30_000) {
      const lsn = (await query(primary.url(), 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!['lsn'] as string;
      for (const replica of replicas) {
        await poll(`replica on port ${replica.port} replaying past ${lsn}`, timeoutMs, async () => {
          const rows = await query(replica.url(), 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]);
          return rows[0]!['done'] === true;
        });
      }
    },
    async stop() {
      await Promise.all([...replicas, primary].map((server) => server.stop()));
    },
  };
  try {
    for (let k = 0; k < replicaCount; k++) replicas.push(await PrivatePostgres.startReplicaOf(primary));
    await cluster.waitForStreaming();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** One statement on a short-lived connection. */
export async function query(url: string, text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function poll(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await done()) return;
    } catch (error) {
      last = ` (last error: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
