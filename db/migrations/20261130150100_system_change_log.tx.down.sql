DROP TABLE system_change_log;
DROP FUNCTION system_change_log_append_only();
