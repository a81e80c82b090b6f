-- Who holds a table's run lock (run-lock-try.sql): one row per table, written by the holder right
-- after it got the lock, so a run that has to wait can say "pid P on host H, since T". A row whose
-- backend_pid no longer holds the lock is stale and ignored (run-holder-read.sql joins pg_locks).
CREATE TABLE IF NOT EXISTS perfbench_runs (
  table_key    text        PRIMARY KEY,
  run_id       text        NOT NULL,
  command      text        NOT NULL,
  pid          integer     NOT NULL,
  host         text        NOT NULL,
  started_at   timestamptz NOT NULL,
  backend_pid  integer     NOT NULL
)
