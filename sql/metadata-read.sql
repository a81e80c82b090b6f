-- to_regclass keeps this safe on a database where perfbench never ran.
SELECT fingerprint, parameters, row_count, seeded_at
FROM perfbench_datasets
WHERE to_regclass('perfbench_datasets') IS NOT NULL AND table_name = $1
