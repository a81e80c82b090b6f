-- The dataset of the table named $1 ($2: the same, quoted), only while it is the very table perfbench
-- created (same oid). Records from before table_oid existed (NULL) were matched by name alone and
-- still are until that table is seeded again. Callers check first that perfbench_datasets exists.
SELECT fingerprint, parameters, row_count, seeded_at
FROM perfbench_datasets
WHERE table_name = $1 AND (table_oid = to_regclass($2)::oid OR table_oid IS NULL)
