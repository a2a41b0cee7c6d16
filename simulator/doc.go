// Package simulator is a local stand-in for Maskinporten (and, for dev login
// only, ID-porten). It speaks the same wire protocol as the real services so a
// vendor's unchanged integration code can run against the gateway: discovery
// document, JWKS, and the RFC 7523 JWT-bearer grant including Altinn
// system-user authorization_details.
//
// The simulator talks to the gateway over HTTP only, exactly as Maskinporten
// talks to Altinn, so either can run alone.
//
// With Config.Control it also serves a control API for testers under
// /control (control*.go, client and wire types in simctl): faults on the
// token endpoint, a request log, a clock offset, key rotation, clients and
// claims at runtime, and a debugger page (debugger.go). /openapi.json
// documents every route.
package simulator
