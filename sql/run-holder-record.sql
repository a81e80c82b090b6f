-- The run that now holds the table's run lock (see run-metadata-create-runs.sql); backend_pid is the
-- session holding the lock, the one that runs this statement.
INSERT INTO perfbench_runs (table_key, run_id, command, pid, host, started_at, backend_pid)
VALUES ($1, $2, $3, $4, $5, $6, pg_backend_pid())
ON CONFLICT (table_key) DO UPDATE
SET run_id = EXCLUDED.run_id, command = EXCLUDED.command, pid = EXCLUDED.pid, host = EXCLUDED.host,
    started_at = EXCLUDED.started_at, backend_pid = EXCLUDED.backend_pid
