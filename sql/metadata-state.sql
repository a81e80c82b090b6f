-- Is there a perfbench_datasets table, and is it of the current shape (with table_oid)?
SELECT to_regclass('perfbench_datasets') IS NOT NULL AS exists,
       EXISTS (SELECT 1 FROM pg_attribute
               WHERE attrelid = to_regclass('perfbench_datasets') AND attname = 'table_oid' AND NOT attisdropped) AS current
