DROP TRIGGER IF EXISTS client_relationships_notify ON client_relationships;
DROP TRIGGER IF EXISTS access_package_resources_notify ON access_package_resources;
DROP TRIGGER IF EXISTS access_packages_notify ON access_packages;
DROP TRIGGER IF EXISTS resource_actions_notify ON resource_actions;
DROP TRIGGER IF EXISTS resources_notify ON resources;
DROP TRIGGER IF EXISTS system_clients_notify ON system_clients;
DROP TRIGGER IF EXISTS system_access_packages_notify ON system_access_packages;
DROP TRIGGER IF EXISTS system_rights_notify ON system_rights;
DROP TRIGGER IF EXISTS systems_notify ON systems;
DROP TRIGGER IF EXISTS client_delegations_notify ON client_delegations;
DROP TRIGGER IF EXISTS system_user_access_packages_notify ON system_user_access_packages;
DROP TRIGGER IF EXISTS system_user_rights_notify ON system_user_rights;
DROP TRIGGER IF EXISTS system_users_notify ON system_users;
DROP TRIGGER IF EXISTS change_requests_notify ON change_requests;
DROP TRIGGER IF EXISTS requests_notify ON requests;
DROP FUNCTION IF EXISTS notify_catalog(), notify_system(), notify_system_user_child(),
  notify_system_user(), notify_change_request(), notify_request();
DROP FUNCTION IF EXISTS systemuser_notify(text, text, text, text);
