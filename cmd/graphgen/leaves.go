package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/99designs/gqlgen/codegen"
	"github.com/vektah/gqlparser/v2/ast"
)

// A plain leaf is a field that reads a struct field of its parent and
// returns a non-null String, ID, Int, Float, Boolean or enum: no resolver,
// no arguments, no directives. gqlgen resolves it as any other field: a
// field context, a context value, three closures, the value boxed in an
// interface and the field middleware, about seven allocations to copy a
// string (a third of the fields of issue 14's nested read). The rewrite
// marshals the struct field directly.
//
// What the leaf gives up is nothing it uses:
//   - Its field context: these marshalers read the context only to report a
//     null, and none of these values can be null.
//   - The field middleware: the gateway's (gateway/graphql_policy.go) and its
//     tracer's look at root fields only, and a root field is never a plain
//     leaf. A field middleware that must see every field would need this
//     rewrite gone.
//   - Panic recovery: reading a field of a non-nil parent cannot panic.
//   - @defer: gqlgen defers only fields it resolves concurrently, which a
//     plain leaf never was.
//
// A plain object field reads a struct field of its parent holding an object
// or a list of objects, on the same conditions. Its children need its field
// context (their errors' paths, the lookahead), so it keeps that and its
// panic recovery (graph.plainField), and gives up the rest: the closures,
// the boxing and the field middleware, which for such a field can only pass
// the value on.
type plainLeaf struct {
	object, field string // GraphQL names
	goField       string // the parent's Go field
	marshal       string // the executor's marshal function for its type
	objectField   bool   // a plain object field, not a leaf
}

// plainLeafScalars are the built-in scalars whose marshalers cannot return
// null for a Go value (UUID and Time can: a zero Time marshals to null).
var plainLeafScalars = map[string]bool{"String": true, "ID": true, "Int": true, "Float": true, "Boolean": true}

// plainLeaves is the plugin that finds them, before the executor is written.
type plainLeaves struct{ found *[]plainLeaf }

func (plainLeaves) Name() string { return "plain-leaves" }

func (p plainLeaves) GenerateCode(data *codegen.Data) error {
	if len(data.AllDirectives.LocationDirectives(string(ast.LocationField))) > 0 {
		return nil // a field directive runs on every field: keep gqlgen's path
	}
	for _, o := range data.Objects {
		if o.Root || o.Stream {
			continue
		}
		for _, f := range o.Fields {
			t := f.TypeReference
			if f.IsResolver || !f.IsVariable() || len(f.Args) > 0 || f.HasDirectives() || f.Batch ||
				t == nil || t.Definition == nil {
				continue
			}
			l := plainLeaf{object: o.Name, field: f.Name, goField: f.GoFieldName, marshal: t.MarshalFunc()}
			switch {
			case t.Definition.Kind == ast.Object:
				l.objectField = true
			case !t.GQL.NonNull || t.IsPtr() || t.IsSlice() ||
				(t.Definition.Kind != ast.Enum && !plainLeafScalars[t.Definition.Name]):
				continue
			}
			*p.found = append(*p.found, l)
		}
	}
	if len(*p.found) == 0 {
		return fmt.Errorf("plain leaves: none in the schema")
	}
	return nil
}

// rewritePlainLeaves replaces each plain leaf's resolution in the written
// executor by the marshal of its struct field. It checks that the function
// it replaces is the one gqlgen writes for such a field: it reads obj's
// field and nothing else.
func rewritePlainLeaves(dir string, leaves []plainLeaf) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return fmt.Errorf("plain leaves: %w", err)
	}
	src, changed := map[string][]byte{}, map[string]bool{}
	for _, f := range files {
		if src[f], err = os.ReadFile(f); err != nil {
			return fmt.Errorf("plain leaves: %w", err)
		}
	}
	for _, l := range leaves {
		head := []byte(fmt.Sprintf("func (ec *executionContext) _%s_%s(ctx context.Context, field graphql.CollectedField, obj ", l.object, l.field))
		done := false
		for f, b := range src {
			start := bytes.Index(b, head)
			if start < 0 {
				continue
			}
			sig := bytes.Index(b[start:], []byte(") (ret graphql.Marshaler) {\n"))
			closing := -1
			if sig >= 0 {
				closing = bytes.Index(b[start+sig:], []byte("\n}\n"))
			}
			if sig < 0 || closing < 0 {
				return fmt.Errorf("plain leaves: %s.%s in %s: not a function gqlgen writes", l.object, l.field, f)
			}
			open := start + sig + len(") (ret graphql.Marshaler) {\n")
			end := start + sig + closing
			body := b[open:end]
			read := fmt.Appendf(nil, "return obj.%s, nil\n", l.goField)
			if !bytes.Contains(body, []byte("return graphql.ResolveField(")) || bytes.Count(body, []byte("return obj.")) != 1 || !bytes.Contains(body, read) {
				return fmt.Errorf("plain leaves: %s.%s in %s is not the field read gqlgen writes for it", l.object, l.field, f)
			}
			repl := fmt.Appendf(nil, "\treturn ec.%s(ctx, field.Selections, obj.%s)", l.marshal, l.goField)
			if l.objectField {
				fieldContext := fmt.Sprintf("ec.fieldContext_%s_%s", l.object, l.field)
				if !bytes.Contains(body, []byte("return "+fieldContext+"(ctx, field)\n")) ||
					!bytes.Contains(body, fmt.Appendf(nil, "return ec.%s(ctx, selections, v)\n", l.marshal)) ||
					!bytes.Contains(body, []byte("\t\t},\n\t\ttrue,\n")) { // recovers from a panic
					return fmt.Errorf("plain leaves: %s.%s in %s is not the object read gqlgen writes for it", l.object, l.field, f)
				}
				repl = fmt.Appendf(nil, "\tfc, _ := %s(ctx, field)\n\treturn plainField(ctx, ec.OperationContext, fc, obj.%s, ec.%s)",
					fieldContext, l.goField, l.marshal)
			}
			src[f] = append(append(append([]byte{}, b[:open]...), repl...), b[end:]...)
			changed[f] = true
			done = true
			break
		}
		if !done {
			return fmt.Errorf("plain leaves: no resolution of %s.%s in %s", l.object, l.field, dir)
		}
	}
	for f := range changed {
		if err := os.WriteFile(f, src[f], 0o644); err != nil {
			return fmt.Errorf("plain leaves: %w", err)
		}
	}
	return nil
}
