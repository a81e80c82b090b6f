-- After a failed workload statement: ends the transaction the script may have opened (a warning,
-- not an error, outside one), so the next try and the next operation start clean.
ROLLBACK
