-- Removes the candidate index of bench --workload's index=EXPR path (after each run; after a crash, at the next run).
DROP INDEX IF EXISTS {{name}}
