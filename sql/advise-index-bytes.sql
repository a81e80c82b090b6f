-- The size of a candidate index just built (inside the transaction, before the rollback drops it).
SELECT pg_relation_size(to_regclass($1)) AS bytes
