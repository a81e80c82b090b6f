-- Records, before the build, that this session is about to create index $2 on table $1 (see
-- run-metadata-create-intents.sql); the index goes into its table's schema. Nothing is recorded
-- when a row for that index already exists (the caller reports who holds it).
-- $1 table (quoted, for to_regclass), $2 index name, $3 column, $4 disposition, $5 run id,
-- $6 command, $7 client pid, $8 client host, $9 run start, $10 the table as the user named it.
INSERT INTO perfbench_index_intents
  (index_schema, index_name, table_oid, table_name, column_name, disposition, run_id, command, pid, host, started_at, backend_pid, backend_start)
SELECT n.nspname, $2, c.oid, $10, $3, $4, $5, $6, $7, $8, $9, pg_backend_pid(),
       (SELECT a.backend_start FROM pg_stat_activity a WHERE a.pid = pg_backend_pid())
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass($1)
ON CONFLICT (index_schema, index_name) DO NOTHING
RETURNING index_schema
