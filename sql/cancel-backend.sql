-- Cancels the statement another session is running (Ctrl-C): node-postgres has no in-band cancel.
SELECT pg_cancel_backend($1)
