-- bench --workload's index=EXPR path: the candidate index, created before each of the path's runs
-- and dropped after it, so the other paths never see it. The name is perfbench's own (pbw_…).
-- {{concurrently}} is CONCURRENTLY with --concurrently (writes to the table go on during the build).
CREATE INDEX {{concurrently}} {{name}} ON {{table}} ({{columns}})
