-- SET LOCAL for the "before" side of explain --compare when an index already exists: the planner may
-- not use index, bitmap or index-only scans. Run inside a savepoint that is rolled back afterwards,
-- which restores the previous values.
SELECT set_config('enable_indexscan', 'off', true),
       set_config('enable_bitmapscan', 'off', true),
       set_config('enable_indexonlyscan', 'off', true)
