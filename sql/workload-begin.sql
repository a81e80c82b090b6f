-- The plan check of a workload statement runs EXPLAIN ANALYZE inside a transaction that is rolled back.
BEGIN
