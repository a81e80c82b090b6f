-- Records written before table_oid existed match no table (perfbench then treats the table as not its own).
ALTER TABLE perfbench_datasets ADD COLUMN IF NOT EXISTS table_oid oid
