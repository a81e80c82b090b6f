/**
 * Use case (bench --replica-url): the read replicas of a run. Before anything is prepared, each URL
 * is checked: reachable (else one line, exit 1), a replica (pg_is_in_recovery(), else exit 2) and a
 * replica of this database's cluster (the same system identifier, else exit 2). After the run's setup
 * on the primary (the dataset, the index), `start` waits until every replica has replayed the WAL
 * up to the primary's position then (pg_last_wal_replay_lsn() >= that LSN; bounded by
 * --replica-timeout, exit 1 with where each replica is), so an index path finds its index on the
 * replica, and reads the lag; `finish` reads it again when the measuring is over.
 */
import type pg from 'pg';
import type { ReplicaUrl } from '../config.js';
import { connectClient, type ConnectionTarget } from '../db/connection.js';
import { currentWalLsn, replayedPast, replicaLag, serverFacts, standbys } from '../db/replication.js';
import { firstLine, UserError, usageError } from '../errors.js';
import type { ReplicaLag, ReplicationRecord, ReplicationSnapshot } from '../measure/replication.js';
import type { Runtime } from '../runtime.js';
import { DEFAULT_REPLICA_TIMEOUT_MS } from '../flags/replica-flags.js';
import type { BenchOptions } from './bench-options.js';
import type { ServerEndpoint } from '../targets/path.js';

/** How often the replay wait asks the replicas where they are. */
const REPLAY_POLL_MS = 50;

/** A replica as worker threads (bench --workers) get it: its label and where to connect. */
export interface ReplicaTarget {
  label: string;
  target: ConnectionTarget;
}

export interface ReplicaSession {
  /** The replicas as the paths read from them. */
  readServers: ServerEndpoint[];
  /** The same, for worker threads, which open connections of their own. */
  targets: ReplicaTarget[];
  /** `host:port` of the primary. */
  primaryLabel: string;
  /** Waits until every replica has replayed the primary's WAL up to its position now (after a write of the run: a candidate index). */
  catchUp(): Promise<void>;
  /** Waits for the replicas to replay the run's setup, then reads their lag: the start of the record. */
  start(): Promise<void>;
  /** Reads the lag once more and returns the run's replication record (undefined before `start`). */
  finish(): Promise<ReplicationRecord | undefined>;
}

interface Replica {
  label: string;
  source: string;
  target: ConnectionTarget;
}

/** Opens and checks the replicas of --replica-url (else PERFBENCH_REPLICA_URLS); undefined when there are none. */
export async function openReplicas(runtime: Runtime, admin: pg.Client, urls: readonly ReplicaUrl[], timeoutMs: number,
  talk: { status(text: string): void; say(line: string): void }): Promise<ReplicaSession | undefined> {
  if (urls.length === 0) return undefined;
  const primary = await runtime.database();
  const connectTimeoutMs = runtime.config.connectTimeoutMs;
  const replicas = urls.map((url) => replicaOf(url, primary));
  const seen = new Set<string>();
  for (const replica of replicas) {
    if (seen.has(replica.label)) throw usageError(`${replica.source} names ${replica.label} twice`, 'give each replica once');
    seen.add(replica.label);
  }
  const primaryFacts = await serverFacts(admin);
  for (const replica of replicas) {
    talk.status(`checking the replica ${replica.label}`);
    const client = await connectReplica(replica, connectTimeoutMs);
    try {
      const facts = await serverFacts(client);
      if (!facts.inRecovery) {
        throw usageError(`${replica.source} ${replica.label} is not a replica: pg_is_in_recovery() is false there (a primary, or a promoted standby)`,
          'pass the URL of a streaming replica of the database; the writes and the run\'s setup go to DATABASE_URL');
      }
      if (facts.systemId !== primaryFacts.systemId) {
        throw usageError(`${replica.source} ${replica.label} is a replica of another cluster (system identifier ${facts.systemId}; the database's is ${primaryFacts.systemId})`,
          'pass a replica of the database perfbench runs against');
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const primaryLabel = `${primary.host}:${primary.port}`;
  let record: ReplicationRecord | undefined;

  /** The lag of every replica against the primary's current LSN; a replica that does not answer is recorded as such. */
  const snapshot = async (): Promise<ReplicationSnapshot> => {
    const at = new Date().toISOString();
    const primaryLsn = await currentWalLsn(admin);
    const lags: ReplicaLag[] = [];
    for (const replica of replicas) {
      try {
        const client = await connectReplica(replica, connectTimeoutMs);
        try {
          lags.push(await replicaLag(client, replica.label, primaryLsn));
        } finally {
          await client.end().catch(() => undefined);
        }
      } catch (error) {
        lags.push({ server: replica.label, error: firstLine((error as Error).message) });
      }
    }
    return { at, primaryLsn, replicas: lags, standbys: await standbys(admin) };
  };

  /** Waits for every replica to replay up to the primary's LSN now; returns that LSN. */
  const catchUp = async (): Promise<string> => {
    const started = Date.now();
    const lsn = await currentWalLsn(admin);
    talk.status(`waiting for the replicas to replay the primary's WAL up to ${lsn}`);
    for (const replica of replicas) await waitForReplay(replica, lsn, started + timeoutMs, timeoutMs, connectTimeoutMs, runtime.signal);
    return lsn;
  };

  return {
    primaryLabel,
    catchUp: async () => void (await catchUp()),
    readServers: replicas.map((replica) => ({ label: replica.label, role: 'replica', connect: () => connectClient(replica.target, connectTimeoutMs) })),
    targets: replicas.map((replica) => ({ label: replica.label, target: replica.target })),
    async start() {
      const started = Date.now();
      const lsn = await catchUp();
      const replayWaitMs = Date.now() - started;
      talk.say(`replicas ${replicas.map((r) => r.label).join(', ')} replayed the run's setup (primary LSN ${lsn}) in ${(replayWaitMs / 1000).toFixed(1)} s; reads go to them round-robin per operation, writes to ${primaryLabel}`);
      record = { routing: 'per-operation', primary: primaryLabel, replicas: replicas.map((r) => r.label), replayWaitMs, start: await snapshot() };
    },
    async finish() {
      if (!record) return undefined;
      return { ...record, end: await snapshot() };
    },
  };
}

/**
 * A replica's connection target: what its URL leaves out (user, password, database, sslmode) is the
 * primary's; the primary's password only goes with the primary's user.
 */
function replicaOf(url: ReplicaUrl, primary: ConnectionTarget): Replica {
  const user = url.user ?? primary.user;
  const password = url.password ?? (user === primary.user ? primary.password : undefined);
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  return {
    label: `${host}:${url.port}`,
    source: url.source,
    target: { host: url.host, port: url.port, user, password, database: url.database ?? primary.database, sslmode: url.sslmode ?? primary.sslmode, mode: 'external' },
  };
}

async function connectReplica(replica: Replica, connectTimeoutMs: number): Promise<pg.Client> {
  try {
    return await connectClient(replica.target, connectTimeoutMs);
  } catch (error) {
    // connectionError's hint names DATABASE_URL: for a replica, the flag or variable it came from.
    const message = error instanceof UserError ? error.message.replace(/^cannot connect to PostgreSQL/, 'cannot connect to the replica') : firstLine(String(error));
    throw new UserError(`${replica.source}: ${message}`, `is the replica running and reachable? check ${replica.source}`);
  }
}

/** Polls the replica until it has replayed up to `lsn`, or fails (exit 1) at `deadline` saying where it is. */
async function waitForReplay(replica: Replica, lsn: string, deadline: number, timeoutMs: number, connectTimeoutMs: number, signal: AbortSignal): Promise<void> {
  const client = await connectReplica(replica, connectTimeoutMs);
  try {
    for (;;) {
      const where = await replayedPast(client, lsn);
      if (where.done) return;
      if (signal.aborted) throw new UserError('interrupted while waiting for the replicas', '', 130);
      if (Date.now() >= deadline) {
        const behind = where.bytesBehind === null ? 'no WAL replayed yet' : `${Math.round(where.bytesBehind)} bytes behind`;
        throw new UserError(`the replica ${replica.label} has not replayed the run's setup within ${timeoutMs / 1000} s: it is at ${where.replayLsn ?? 'no LSN'}, the primary's setup ended at ${lsn} (${behind})`,
          'is it streaming from this primary (pg_stat_replication on the primary)? raise --replica-timeout for a replica that is catching up');
      }
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The replicas of a bench run: --replica-url, else PERFBENCH_REPLICA_URLS; undefined without any.
 * Checked before the run prepares anything, so a wrong URL changes nothing.
 */
export async function benchReplicas(runtime: Runtime, options: BenchOptions, talk: { status(text: string): void; say(line: string): void }): Promise<ReplicaSession | undefined> {
  const urls = options.replicaUrls ?? runtime.config.replicaUrls ?? [];
  if (urls.length === 0) return undefined;
  talk.status('connecting to PostgreSQL');
  return openReplicas(runtime, await runtime.client(), urls, options.replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS, talk);
}
