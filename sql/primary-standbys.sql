-- The standbys as the primary sees them (the lag columns are null without pg_monitor or superuser).
SELECT application_name AS "applicationName",
       coalesce(host(client_addr), 'local') || ':' || coalesce(client_port::text, '') AS client,
       state,
       extract(epoch FROM write_lag)::float8 * 1000 AS "writeLagMs",
       extract(epoch FROM flush_lag)::float8 * 1000 AS "flushLagMs",
       extract(epoch FROM replay_lag)::float8 * 1000 AS "replayLagMs",
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS "bytesBehind"
FROM pg_stat_replication
ORDER BY client_addr, client_port
