-- The report for several categories at once, to fill the cache before a `cache` run: the same
-- columns and per-category order as report.sql, so each category's body is byte-identical to the
-- one the report query gives. $1 holds the categories as the filter column's type, $2 the same
-- categories as the text they were asked as. A row goes to every category it equals by the `=`
-- report.sql uses (`t.{{column}} = ANY($1)`, first in the WHERE, is what makes PostgreSQL read $1
-- as the column's type, as it reads report.sql's $1; the second comparison then resolves the same
-- operator), so equal values that print differently (numeric 1.0 and 1.00, citext 'A' and 'a')
-- each get all of their rows. perfbench_key is the category as asked; the rows come sorted by it,
-- so each key's rows arrive together, by id.
SELECT asked.key AS perfbench_key, t.id, t.name, t.category, t.price, t.created_at
FROM {{table}} AS t, unnest($2::text[]) WITH ORDINALITY AS asked(key, ordinal)
WHERE t.{{column}} = ANY($1) AND t.{{column}} = ($1)[asked.ordinal]
ORDER BY perfbench_key, t.id
