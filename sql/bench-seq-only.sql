-- The bench `seq` path's connections: the planner may not read the table through any index, so the
-- report query runs as a Seq Scan (the "before" state) without touching the schema. Session-level
-- (is_local = false): it lasts for the connection and dies with it.
SELECT set_config('enable_indexscan', 'off', false),
       set_config('enable_bitmapscan', 'off', false),
       set_config('enable_indexonlyscan', 'off', false)
