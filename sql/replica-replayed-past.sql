-- Has this replica replayed the primary's WAL up to $1 (the primary's LSN after the run's setup)?
SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done,
       pg_last_wal_replay_lsn()::text AS "replayLsn",
       pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS "bytesBehind"
