-- The table's run lock (run-lock-try.sql) taken in share mode, by the shards of one run (bench
-- --shard): they hold it together, change nothing on the table, and keep a run that takes the lock
-- exclusively (another bench, index add/drop) waiting until the last shard is done, and vice versa.
SELECT pg_try_advisory_lock_shared(1885498979, hashtext($1)) AS locked
