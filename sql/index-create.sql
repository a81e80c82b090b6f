CREATE INDEX {{concurrently}} {{index}} ON {{table}} USING {{method}} ({{column}})
