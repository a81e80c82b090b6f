-- Removes the candidate index of bench --workload's index=EXPR path (after each run; after a crash, at the next run).
-- {{concurrently}} is CONCURRENTLY with --concurrently after a run; a failed build's INVALID leftover is dropped plainly.
DROP INDEX {{concurrently}} IF EXISTS {{name}}
