-- Serialises the creation of perfbench's run bookkeeping (run-metadata-create-*.sql) for the rest of
-- the transaction: two first runs creating the same table at once would otherwise collide on the
-- catalog's unique index (23505) instead of one waiting for the other. Key (perfbench, 0): the
-- per-table run locks (run-lock-try.sql) never use 0.
SELECT pg_advisory_xact_lock(1885498979, 0)
