-- The report for several categories at once, to fill the cache before a `cache` run: the same
-- columns and per-category order as report.sql, so each category's body is byte-identical to the
-- one the report query gives. perfbench_key is the filter value as text, to group the rows by; the
-- rows come sorted by it (not by the column: equal values can print differently, 1.0 and 1.00, and
-- would interleave), so each key's rows arrive together, by id.
SELECT {{column}}::text AS perfbench_key, id, name, category, price, created_at
FROM {{table}}
WHERE {{column}} = ANY($1)
ORDER BY perfbench_key, id
