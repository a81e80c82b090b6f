-- SET LOCAL statement_timeout as a parameterised call (SET itself takes no parameters): bounds every
-- later statement of the current transaction; $1 is milliseconds as text.
SELECT set_config('statement_timeout', $1, true)
