-- Columns of a table whose name differs from a --column that matched nothing only in letter case:
-- the error shows how to quote them. $1 is the table as to_regclass reads it, $2 the column name.
SELECT a.attname AS name
FROM pg_attribute a
WHERE a.attrelid = to_regclass($1) AND lower(a.attname) = lower($2) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1
LIMIT 3
