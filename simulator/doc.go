// Package simulator is a local stand-in for Maskinporten (and, for dev login
// only, ID-porten). It speaks the same wire protocol as the real services so a
// vendor's unchanged integration code can run against the gateway: discovery
// document, JWKS, and the RFC 7523 JWT-bearer grant including Altinn
// system-user authorization_details.
//
// The simulator talks to the gateway over HTTP only, exactly as Maskinporten
// talks to Altinn, so either can run alone.
package simulator
