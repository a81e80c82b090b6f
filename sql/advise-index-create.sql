-- A candidate index of explain --advise, built inside the explain transaction in a savepoint that
-- is rolled back after its runs: it never outlives the command. A plain build (CONCURRENTLY cannot
-- run in a transaction) takes a SHARE lock on the table: writes to it wait until the rollback.
CREATE INDEX {{index}} ON {{table}} ({{columns}})
