DROP INDEX {{concurrently}} IF EXISTS {{index}}
