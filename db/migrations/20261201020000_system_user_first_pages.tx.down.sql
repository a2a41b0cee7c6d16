DROP FUNCTION system_user_first_pages(text[], text, int);
