-- Which dataset each seeded table holds, so cache keys and reports can name it.
CREATE TABLE IF NOT EXISTS perfbench_datasets (
  table_name   text        PRIMARY KEY,
  fingerprint  text        NOT NULL,
  parameters   jsonb       NOT NULL,
  row_count    bigint      NOT NULL,
  seeded_at    timestamptz NOT NULL DEFAULT now()
)
