// Package e2e starts the whole System User stack in Docker — PostgreSQL, the
// gateway and the Maskinporten simulator on one private network — seeds the
// demo world, and hands a test typed clients for it. The project's own
// end-to-end suites live here; a vendor imports the package to run its
// integration tests against the same stack:
//
//	func TestIntegration(t *testing.T) {
//		s := e2e.StartT(t)
//		tok, _ := s.VendorToken(t.Context())
//		status, err := s.Do(t.Context(), "GET", "/authentication/api/v1/systemregister/vendor", tok, nil, nil)
//		...
//	}
//
// The simulator runs with its control API on: Stack.ControlT gives a test
// faults, a request log, claim overrides and runtime clients scoped by its
// own key, plus the global clock and key rotation (control_example_test.go).
//
// Images come from SYSTEMUSER_E2E_IMAGE (default systemuser:dev, built by
// `make e2e-images`) and SYSTEMUSER_E2E_POSTGRES_IMAGE (default postgres:15).
// When Docker is unreachable or an image is missing StartT skips the test,
// loudly; SYSTEMUSER_E2E_REQUIRED=1 turns the skip into a failure (CI).
//
// Without a registry (no Ryuk image) set TESTCONTAINERS_RYUK_DISABLED=true:
// the Stack removes everything it created itself in Close. Inside a container
// (/.dockerenv) also set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1, since every
// port is published on loopback only.
package e2e
