-- The server settings a bench result records in its environment fingerprint ($1: setting names).
SELECT name, current_setting(name) AS value
FROM pg_settings
WHERE name = ANY($1::text[])
ORDER BY name
