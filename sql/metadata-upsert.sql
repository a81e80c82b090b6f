INSERT INTO perfbench_datasets (table_name, fingerprint, parameters, row_count)
VALUES ($1, $2, $3, $4)
ON CONFLICT (table_name) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, parameters = EXCLUDED.parameters,
    row_count = EXCLUDED.row_count, seeded_at = now()
