-- The primary's current WAL position: what a replica must have replayed to see everything written so far.
SELECT pg_current_wal_lsn()::text AS lsn
