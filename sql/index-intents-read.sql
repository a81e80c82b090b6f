-- The recorded indexes of table $1 (quoted, for to_regclass): whether their owner's session is
-- still connected (backend_start tells a reused pid apart when this role may see it), and the
-- index's state: valid, invalid (a build that did not finish) or NULL (not there). The session is
-- looked up by pid with the function behind pg_stat_activity, not the view: planning its joins
-- (pg_database, pg_authid) cost about half of this query on a command's fresh session.
SELECT i.index_schema, i.index_name, i.column_name, i.disposition, i.run_id, i.command, i.pid, i.host, i.started_at,
       i.backend_pid,
       EXISTS (SELECT 1 FROM pg_stat_get_activity(i.backend_pid) a
               WHERE (a.backend_start IS NULL OR i.backend_start IS NULL OR a.backend_start = i.backend_start)) AS owner_connected,
       x.indisvalid AS valid
FROM perfbench_index_intents i
LEFT JOIN pg_namespace n ON n.nspname = i.index_schema
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = i.index_name AND c.relkind = 'i'
LEFT JOIN pg_index x ON x.indexrelid = c.oid AND x.indrelid = i.table_oid
WHERE i.table_oid = to_regclass($1)
ORDER BY i.index_name
