-- Is this server a replica (bench --replica-url), and of which cluster: a hot standby is in recovery,
-- and a physical replica has its primary's system identifier.
SELECT pg_is_in_recovery() AS "inRecovery",
       (SELECT system_identifier::text FROM pg_control_system()) AS "systemId",
       current_setting('server_version') AS version
