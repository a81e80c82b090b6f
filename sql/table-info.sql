-- A table's existence, estimated rows, size and last ANALYZE; $1 is the (possibly schema-qualified) name.
SELECT c.oid::bigint AS oid,
       n.nspname AS schema,
       c.relname AS name,
       c.reltuples::bigint AS estimated_rows,
       pg_total_relation_size(c.oid) AS total_bytes,
       pg_relation_size(c.oid) AS heap_bytes,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze,
       EXISTS (SELECT 1 FROM {{table}} LIMIT 1) AS has_rows
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = to_regclass($1)
