-- The plan of a workload statement that writes, without executing it (no ANALYZE): the statement
-- keeps its $n parameters, bound to the values of the first operation.
EXPLAIN (FORMAT JSON) {{statement}}
