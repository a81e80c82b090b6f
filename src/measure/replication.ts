/**
 * Measurement domain (pure): what a run with read replicas (`bench --replica-url`) records about
 * replication: where reads and writes went, how long preparing waited for the replicas to replay
 * the primary's setup (dataset, index), and each replica's lag when the measuring started and ended.
 */

/** One replica's lag, read on the replica against the primary's WAL position read just before. */
export interface ReplicaLag {
  /** `host:port`. */
  server: string;
  /** pg_last_wal_replay_lsn() / pg_last_wal_receive_lsn(). */
  replayLsn?: string;
  receiveLsn?: string;
  /** pg_wal_lsn_diff(the primary's pg_current_wal_lsn(), replayLsn): WAL bytes not replayed yet. */
  bytesBehind?: number;
  /**
   * 0 when the replica has replayed all it received; else now() - pg_last_xact_replay_timestamp()
   * (the usual monitoring formula: an idle primary is not lag).
   */
  replayDelayMs?: number;
  /** pg_last_xact_replay_timestamp(), ISO 8601. */
  lastReplayAt?: string;
  /** The replica could not be read (stopped, unreachable): one line. */
  error?: string;
}

/** A standby as the primary sees it (pg_stat_replication; the lag columns need pg_monitor or superuser). */
export interface StandbyLag {
  applicationName: string;
  /** client_addr:client_port of the WAL receiver. */
  client: string;
  state: string;
  writeLagMs?: number;
  flushLagMs?: number;
  replayLagMs?: number;
  /** pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn). */
  bytesBehind?: number;
}

export interface ReplicationSnapshot {
  /** ISO 8601. */
  at: string;
  /** The primary's pg_current_wal_lsn(). */
  primaryLsn?: string;
  replicas: ReplicaLag[];
  standbys: StandbyLag[];
}

export interface ReplicationRecord {
  /** How reads are spread over the replicas: operation i goes to replica i mod n. */
  routing: 'per-operation';
  /** `host:port` of the primary (writes, DDL, the run's bookkeeping). */
  primary: string;
  replicas: string[];
  /** The wait for every replica to replay past the primary's LSN after the run's setup, ms. */
  replayWaitMs: number;
  start: ReplicationSnapshot;
  end?: ReplicationSnapshot;
}
