-- The dataset version in a workload's cache keys: the user tables' row changes so far (pg_stat
-- counters, a coarse but cheap version of data perfbench did not seed).
SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text AS changes, count(*)::text AS tables
FROM pg_stat_user_tables
