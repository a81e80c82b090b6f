-- True when an index built in this transaction may stay invisible to the transaction itself
-- (PostgreSQL sets indcheckxmin when the table has broken HOT chains); $1 is the index name.
SELECT indcheckxmin AS checkxmin FROM pg_index WHERE indexrelid = to_regclass($1)
