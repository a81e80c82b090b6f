-- pgbench's default :scale: the row count of pgbench_branches when that table exists (pgbench -i
-- makes one branch per scale unit). $1 is the table name, resolved on the search_path.
SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE 1 END AS present
