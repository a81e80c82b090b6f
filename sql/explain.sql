-- Runs the statement and returns its plan with actual times, row counts and buffers (one row, one
-- column "QUERY PLAN"). perfbench always runs it inside a transaction that it rolls back.
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {{statement}}
