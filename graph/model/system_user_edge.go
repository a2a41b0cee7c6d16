package model

import "github.com/systemuser-gateway/systemuser/registry"

// SystemUserEdge is an edge of a page of system users. Its cursor is made
// only when a query selects it: a nested read lists many system users and
// seldom asks for their cursors, and each costs a time format and an
// encoding (issue 14).
type SystemUserEdge struct {
	Node *registry.SystemUser `json:"node"`
	page *registry.Connection[*registry.SystemUser]
	i    int
}

// NewSystemUserEdges are the edges of page, in one allocation.
func NewSystemUserEdges(page *registry.Connection[*registry.SystemUser]) []*SystemUserEdge {
	backing := make([]SystemUserEdge, len(page.Items))
	out := make([]*SystemUserEdge, len(page.Items))
	for i, su := range page.Items {
		backing[i] = SystemUserEdge{Node: su, page: page, i: i}
		out[i] = &backing[i]
	}
	return out
}

// Cursor is the edge's cursor.
func (e *SystemUserEdge) Cursor() string { return e.page.Cursor(e.i) }
