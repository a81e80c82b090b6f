-- The statement's plan without running it, with VERBOSE for the schema of every relation (EXPLAIN
-- ANALYZE names relations without their schema; index advice must name the right table).
EXPLAIN (VERBOSE, FORMAT JSON) {{statement}}
