-- The key of a table's run lock: "schema.name" as the catalog has it, or, for a table that does not
-- exist yet (bench seeds the default table under the lock), where CREATE TABLE would put it.
-- $1 the table as to_regclass reads it (quoted), $2 its schema as given (NULL: search_path), $3 its name.
SELECT coalesce(
  (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)),
  coalesce($2, current_schema()) || '.' || $3) AS key
