-- The "report by category" query: every product of one category, in a stable order.
SELECT id, name, category, price, created_at
FROM {{table}}
WHERE {{column}} = $1
ORDER BY id
