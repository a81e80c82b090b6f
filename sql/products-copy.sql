-- FREEZE: the table was created in this same transaction, so rows can be written already frozen
-- (no later hint-bit rewrite or anti-wraparound vacuum of a fresh table), as pgbench -i does.
COPY {{table}} (id, name, category, price, created_at) FROM STDIN WITH (FORMAT binary, FREEZE)
