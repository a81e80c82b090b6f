-- The plan a bench path actually ran: its report query executed once more under EXPLAIN, on one of
-- the path's own connections (so with the same planner settings); the placeholder is report.sql.
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {{statement}}
