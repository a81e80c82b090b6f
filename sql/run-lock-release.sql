-- Releases the run lock of run-lock-try.sql (ending the session would release it too).
SELECT pg_advisory_unlock(1885498979, hashtext($1)) AS released
