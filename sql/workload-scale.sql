-- The scale of pgbench's tables, as pgbench itself reads it: the number of branches.
SELECT count(*)::bigint AS scale FROM pgbench_branches
