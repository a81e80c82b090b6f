-- The relation a --table name means, as PostgreSQL resolves it (schema-qualified through the
-- catalog, unqualified through search_path): its schema and name exactly as the catalog spells them.
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass($1)
