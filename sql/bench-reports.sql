-- The report for several categories at once, to fill the cache before a `cache` run: the same
-- columns and per-category order as report.sql, so each category's body is byte-identical to the
-- one the report query gives. $1 holds the categories as the filter column's type (PostgreSQL
-- infers it, as it does report.sql's $1), $2 the same categories as the text they were asked as.
-- A row goes to every category it equals by the column type's own `=` (array_positions uses it):
-- as the report query does, so equal values that print differently (numeric 1.0 and 1.00, citext
-- 'A' and 'a') each get all of their rows. perfbench_key is the category as asked; the rows come
-- sorted by it, so each key's rows arrive together, by id.
SELECT ($2::text[])[asked.ordinal] AS perfbench_key, t.id, t.name, t.category, t.price, t.created_at
FROM {{table}} AS t
CROSS JOIN LATERAL unnest(array_positions($1, t.{{column}})) AS asked(ordinal)
WHERE t.{{column}} = ANY($1)
ORDER BY perfbench_key, t.id
