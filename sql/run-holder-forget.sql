-- The run lock's holder record goes with the lock (only this run's row: a later holder may have replaced it).
DELETE FROM perfbench_runs WHERE table_key = $1 AND run_id = $2
