-- Tables whose name differs from a --table that matched nothing only in letter case (an unquoted
-- `analytics.Events` folds to `analytics.events`): the error shows how to quote them. $1 is the
-- name, $2 the schema or NULL (then only tables visible through search_path).
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND lower(c.relname) = lower($1)
  AND (CASE WHEN $2::text IS NULL THEN pg_table_is_visible(c.oid) ELSE lower(n.nspname) = lower($2::text) END)
ORDER BY 1, 2
LIMIT 3
