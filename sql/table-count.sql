-- The exact row count of a table PostgreSQL has no estimate for yet (never analyzed): what bench's
-- dataset description reports instead of a guess. Runs once, before any measurement.
SELECT count(*) AS rows FROM {{table}}
