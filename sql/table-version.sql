-- For tables perfbench did not seed: a version that changes when the table is rewritten
-- (filenode) or written to (modification counters), so cached reports of old data stop matching.
SELECT pg_relation_filenode(c.oid) AS filenode,
       coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0) AS changes
FROM pg_class c
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = to_regclass($1)
