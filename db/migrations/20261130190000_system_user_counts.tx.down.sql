DROP TRIGGER system_user_counts_track ON system_users;
DROP FUNCTION system_user_counts_track();
DROP TABLE system_user_counts;
