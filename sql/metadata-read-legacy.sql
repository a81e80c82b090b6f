-- A perfbench_datasets table from before table_oid, read without writing to it (the role may be
-- read-only): records there were matched by name alone, and still are until the next seed migrates it.
SELECT fingerprint, parameters, row_count, seeded_at
FROM perfbench_datasets
WHERE table_name = $1
