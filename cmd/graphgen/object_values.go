package main

import (
	"bytes"
	"fmt"
)

// The statements of an object function (after rewrites) that
// rewriteObjectValues changes.
var (
	newFieldSetStmt   = []byte("\tout := graphql.NewFieldSet(fields)\n")
	rootScheduling    = []byte("out.ResolveRootConcurrently(")
	dispatchStmt      = []byte("\tec.dispatch(ctx, &later, out)\n")
	returnObjectStmt  = []byte("\n\treturn newObjectFields(fields, out)\n}\n")
	objectValuesStmts = [][2][]byte{
		{newFieldSetStmt, []byte("\tout := newObjectValues(fields)\n")},
		{returnObjectStmt, []byte("\n\treturn out\n}\n")},
	}
)

// rewriteObjectValues gives every object function but the root Query's a
// graph.objectValues where gqlgen builds a FieldSet: one allocation per
// object where the FieldSet, its values and the objectFields returned for
// it were three. The root keeps its FieldSet, on which gqlgen schedules
// its fields (ResolveRootConcurrently), and dispatches it with
// dispatchRoot. Unlike rewrites, this works function by function: which
// statements change depends on what else the function holds.
func rewriteObjectValues(src []byte) (out []byte, objects, roots int, err error) {
	funcs := bytes.Split(src, []byte("\nfunc "))
	for i, fn := range funcs {
		if !bytes.Contains(fn, newFieldSetStmt) {
			continue
		}
		name, _, _ := bytes.Cut(fn, []byte("\n")) // the signature
		if n := bytes.Count(fn, dispatchStmt); n != 1 {
			return nil, 0, 0, fmt.Errorf("object values: %s: %d of %q, want one", name, n, dispatchStmt)
		}
		if bytes.Contains(fn, rootScheduling) {
			funcs[i] = bytes.Replace(fn, dispatchStmt, []byte("\tec.dispatchRoot(ctx, &later, out)\n"), 1)
			roots++
			continue
		}
		for _, r := range objectValuesStmts {
			if n := bytes.Count(fn, r[0]); n != 1 {
				return nil, 0, 0, fmt.Errorf("object values: %s: %d of %q, want one", name, n, r[0])
			}
			fn = bytes.Replace(fn, r[0], r[1], 1)
		}
		funcs[i] = fn
		objects++
	}
	return bytes.Join(funcs, []byte("\nfunc ")), objects, roots, nil
}
