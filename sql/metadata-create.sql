-- Which dataset each seeded table holds, so cache keys and reports can name it. table_oid ties the
-- record to the table perfbench created: a table dropped and re-created by someone else under the
-- same name no longer matches, so perfbench never takes it for its own.
CREATE TABLE IF NOT EXISTS perfbench_datasets (
  table_name   text        PRIMARY KEY,
  table_oid    oid,
  fingerprint  text        NOT NULL,
  parameters   jsonb       NOT NULL,
  row_count    bigint      NOT NULL,
  seeded_at    timestamptz NOT NULL DEFAULT now()
)
