-- $1 the table as the user named it (the key), $5 the same, quoted, for to_regclass.
INSERT INTO perfbench_datasets (table_name, table_oid, fingerprint, parameters, row_count)
VALUES ($1, to_regclass($5)::oid, $2, $3, $4)
ON CONFLICT (table_name) DO UPDATE
SET table_oid = EXCLUDED.table_oid, fingerprint = EXCLUDED.fingerprint, parameters = EXCLUDED.parameters,
    row_count = EXCLUDED.row_count, seeded_at = now()
