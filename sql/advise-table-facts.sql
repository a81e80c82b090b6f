-- What explain --advise checks before it builds a candidate index on a table: the heap's size (the
-- bound the build is refused above without --force), the planner's row estimate, the kind of
-- relation (only plain tables and materialized views are indexed) and its column names (a
-- candidate read from a plan must name real columns). $1 is the schema-qualified, quoted name.
SELECT pg_relation_size(c.oid) AS heap_bytes,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       c.relkind::text AS kind,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
FROM pg_class c
WHERE c.oid = to_regclass($1)
