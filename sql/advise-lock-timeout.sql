-- SET LOCAL lock_timeout around a candidate build, as a parameterised call (SET takes no
-- parameters): a build that would queue behind a long write (and make every later write queue
-- behind it) gives up instead. Returns the previous value so it can be put back. $1 is ms as text.
SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1, true) AS now
