-- The session holding the table's run lock, where perfbench could not create perfbench_runs (a role
-- without CREATE on the schema): no run details, only the PostgreSQL session. $1 the table key.
SELECT l.pid AS backend_pid
FROM pg_locks l
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = 1885498979::oid AND l.objid = hashtext($1)::oid AND l.objsubid = 2
LIMIT 1
