-- A replica's lag against the primary's LSN $1: WAL bytes not replayed yet, and the replay delay
-- (0 when all it received is replayed, else the age of the last replayed commit: an idle primary is
-- not lag).
SELECT pg_last_wal_replay_lsn()::text AS "replayLsn",
       pg_last_wal_receive_lsn()::text AS "receiveLsn",
       pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS "bytesBehind",
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000 END::float8 AS "replayDelayMs",
       to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastReplayAt"
