-- Indexes perfbench is building or holds, recorded BEFORE the build (and committed on their own) so
-- that ownership survives a client killed mid-build: the server may finish a CONCURRENTLY build
-- after the client died, and the comment that marks the index (index-comment.sql) is then never
-- written. disposition 'keep': `index add`, which keeps the index; the row goes once the comment is
-- there. 'run': the index a bench created for its run, dropped when the run ends; the row stays
-- until then. The owner is the session that ran the build (backend_pid, backend_start): when it is
-- gone and the row is still here, the next run or `index drop` finishes the job (index-intents-read.sql).
CREATE TABLE IF NOT EXISTS perfbench_index_intents (
  index_schema  text        NOT NULL,
  index_name    text        NOT NULL,
  table_oid     oid         NOT NULL,
  table_name    text        NOT NULL,
  column_name   text        NOT NULL,
  disposition   text        NOT NULL CHECK (disposition IN ('run', 'keep')),
  run_id        text        NOT NULL,
  command       text        NOT NULL,
  pid           integer     NOT NULL,
  host          text        NOT NULL,
  started_at    timestamptz NOT NULL,
  backend_pid   integer     NOT NULL,
  backend_start timestamptz,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (index_schema, index_name)
)
