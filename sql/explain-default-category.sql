-- The category explain uses when none is given: $1 (the first of the default set, cat-000) when the
-- table holds it, else the value of any row, else NULL for an empty table.
SELECT coalesce(
         (SELECT {{column}}::text FROM {{table}} WHERE {{column}}::text = $1 LIMIT 1),
         (SELECT {{column}}::text FROM {{table}} WHERE {{column}} IS NOT NULL LIMIT 1)
       ) AS category
