-- Removes the record of index $1.$2, only while it is still run $3's: a later run may have taken the
-- index name over. Returns the row when it was removed.
DELETE FROM perfbench_index_intents
WHERE index_schema = $1 AND index_name = $2 AND run_id = $3
RETURNING index_name
