-- Releases the shared run lock of run-lock-try-shared.sql (ending the session would release it too).
SELECT pg_advisory_unlock_shared(1885498979, hashtext($1)) AS released
