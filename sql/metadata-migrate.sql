-- Adds table_oid to a perfbench_datasets table from before it existed (see metadata-read.sql).
ALTER TABLE perfbench_datasets ADD COLUMN IF NOT EXISTS table_oid oid
