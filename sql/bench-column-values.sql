-- The distinct values of the filter column of a table perfbench did not seed: the categories the
-- bench sequence draws from. $1 bounds how many.
SELECT DISTINCT {{column}}::text AS value
FROM {{table}}
WHERE {{column}} IS NOT NULL
ORDER BY 1
LIMIT $1
