// Package dbtest gives each test its own PostgreSQL database, cloned from a template that
// was migrated once per test binary.
//
// The server is TEST_DATABASE_URL when set (an admin URL of an existing server; the role
// needs CREATEDB), else one ephemeral server per test binary in a temporary directory,
// started on first use. Cloning (CREATE DATABASE ... TEMPLATE) copies files instead of
// replaying migrations, so every test gets a migrated, isolated database cheaply and
// tests can run with t.Parallel().
//
// Call Main from TestMain so the ephemeral server and the template are removed after the
// tests; without it the server still dies with the test binary (Pdeathsig) but its
// temporary directory stays behind. Tests of package db itself must live in package
// db_test: dbtest imports db for its migrations.
package dbtest
