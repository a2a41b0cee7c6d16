DROP TRIGGER organizations_notify ON organizations;
