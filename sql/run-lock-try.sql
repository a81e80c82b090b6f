-- A table's run lock: a session-level advisory lock, so it lasts exactly as long as the session
-- that holds it (a crashed client or a server restart releases it). Key (perfbench, hash of the
-- table's "schema.name"); a hash collision only makes two tables' runs wait for each other.
SELECT pg_try_advisory_lock(1885498979, hashtext($1)) AS locked
