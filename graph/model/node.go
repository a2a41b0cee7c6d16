// Package model holds GraphQL-only types; domain types of registry/ and pdp/
// are bound directly.
package model

// Node is any object with a global id. It is an empty interface so that the
// domain types (registry.System, ...) can be bound without GraphQL methods.
type Node interface{}
