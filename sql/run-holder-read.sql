-- Who holds the table's run lock now: the session from pg_locks (visible to every role) and the
-- perfbench run that recorded itself for that session (NULLs if it has not yet, or cannot).
-- $1 the table key. Needs perfbench_runs; run-lock-holder.sql is the same without it.
SELECT l.pid AS backend_pid, r.run_id, r.command, r.pid, r.host, r.started_at
FROM pg_locks l
LEFT JOIN perfbench_runs r ON r.table_key = $1 AND r.backend_pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = 1885498979::oid AND l.objid = hashtext($1)::oid AND l.objsubid = 2
LIMIT 1
