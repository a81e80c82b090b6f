-- Every index of a table with its definition, size, scans and whether perfbench owns it (its
-- comment says so); $1 is the table name as to_regclass reads it. The scans come from the function
-- behind pg_stat_user_indexes.idx_scan: on the fresh session of a command, planning the view (and the
-- view under it) cost about as much as the rest of the query.
SELECT i.relname AS name,
       am.amname AS method,
       pg_get_indexdef(i.oid) AS definition,
       pg_relation_size(i.oid) AS bytes,
       pg_stat_get_numscans(i.oid) AS scans,
       x.indisvalid AS valid,
       x.indisprimary AS primary,
       x.indpred IS NOT NULL OR x.indexprs IS NOT NULL AS partial,
       coalesce(obj_description(i.oid, 'pg_class') LIKE 'perfbench:%', false) AS owned,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum) AS columns
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_am am ON am.oid = i.relam
WHERE x.indrelid = to_regclass($1)
ORDER BY i.relname
