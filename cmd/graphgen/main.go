// Command graphgen is `gqlgen generate` for this module (make generate): the
// same configuration (gqlgen.yml) and plugins, plus one that resolves the
// fields of some objects in their parent's goroutine, rewrites of the
// written executor (rewrites), and plain leaves marshalled without gqlgen's
// per-field machinery (leaves.go).
//
// gqlgen starts a goroutine for every resolver field of every object, so
// that fields waiting on I/O wait together. The objects named in
// sequentialObjects are many per response (a page of system users, a
// system's rights) and their resolver fields are cheap: a global id, an
// enum, or a catalog lookup the dataloaders answer from memory. For them
// the goroutines cost more than the fields (stack growth alone was ~18 %
// of the CPU of a nested read, issue 14). Lists marshal their elements, and
// other objects resolve their resolver fields, in turn until one is about
// to wait for a load, and then the rest at once (on graph.ListWorkers), so
// loads still meet in one batch.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

// sequentialObjects resolve their fields in one goroutine.
var sequentialObjects = map[string]bool{
	"SystemUser": true,
	"Right":      true,
	"Resource":   true,
}

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "graphgen: load config:", err)
		os.Exit(2)
	}
	var leaves []plainLeaf
	if err := api.Generate(cfg, api.PrependPlugin(sequential{}), api.PrependPlugin(plainLeaves{found: &leaves})); err != nil {
		fmt.Fprintln(os.Stderr, "graphgen:", err)
		os.Exit(3)
	}
	if err := rewriteExecutor(cfg.Exec.Dir()); err != nil {
		fmt.Fprintln(os.Stderr, "graphgen:", err)
		os.Exit(4)
	}
	if err := rewritePlainLeaves(cfg.Exec.Dir(), leaves); err != nil {
		fmt.Fprintln(os.Stderr, "graphgen:", err)
		os.Exit(5)
	}
}

// gqlgen's templates cannot be changed from a plugin, so the executor it
// writes is rewritten: each rewrite swaps one call of gqlgen's runtime for
// the graph package's own, with the same contract.
var rewrites = []struct {
	why      string
	from, to []byte
	// context must occur at least as often as from: the rewrite relies on
	// it (a template that changes that must be looked at again).
	context []byte
}{
	{
		// The executor builds a graphql.DeferredGroup for every object it
		// marshals, path included, though only an @defer reads it: a sixth
		// of a nested read's allocations (issue 14). deferredGroup
		// (graph/deferred_group.go) builds it when the selection defers.
		why:     "lazy deferred groups",
		from:    []byte("deferred := graphql.NewDeferredGroup(ctx)"),
		to:      []byte("deferred := deferredGroup(ctx, fields)"),
		context: []byte("fields := graphql.CollectFields("),
	},
	{
		// Every list element on a fresh goroutine, whose stack growth was
		// a sixth of a nested read's CPU; marshalSlice
		// (graph/list_workers.go) runs them in turn until one is about to
		// wait for a load, then the rest at once on reused workers.
		why:     "list workers",
		from:    []byte("graphql.MarshalSliceConcurrently(ctx,"),
		to:      []byte("ec.marshalSlice(ctx,"),
		context: []byte("func (ec *executionContext) marshal"),
	},
	{
		// gqlgen collects an object's fields once per request, behind a
		// key hashed on every call; graph.FieldsCache keeps them across
		// requests when no directive makes them depend on the request.
		why:     "fields cache",
		from:    []byte("fields := graphql.CollectFields(ec.OperationContext, sel, "),
		to:      []byte("fields := ec.collectFields(sel, "),
		context: []byte("func (ec *executionContext) _"),
	},
	{
		// gqlgen runs an object's resolver fields but one on goroutines of
		// their own, whose stacks grow by copying down the fields'
		// selections. laterFields (graph/field_turns.go) holds them, and
		// dispatch runs them in turn until one is about to wait for a load.
		why:     "object fields in turn: holder",
		from:    []byte("\tdeferred := deferredGroup(ctx, fields)\n"),
		to:      []byte("\tdeferred := deferredGroup(ctx, fields)\n\tvar later laterFields\n"),
		context: []byte("\tout.Dispatch(ctx)\n"),
	},
	{
		why:     "object fields in turn: scheduling",
		from:    []byte("out.ResolveConcurrently(ec.OperationContext, &deferred, i,"),
		to:      []byte("later.resolveConcurrently(ec.OperationContext, &deferred, out, field, i,"),
		context: []byte("func(ctx context.Context) graphql.Marshaler {"),
	},
	{
		why:     "object fields in turn: dispatch",
		from:    []byte("\tout.Dispatch(ctx)\n"),
		to:      []byte("\tec.dispatch(ctx, &later, out)\n"),
		context: []byte("\tvar later laterFields\n"),
	},
	{
		// An object's FieldSet writes itself through an iterator that
		// moves every field to the heap and a map per object: a fifth of
		// a nested read's allocations. objectFields
		// (graph/object_fields.go) writes the same JSON from the values.
		why:     "object fields",
		from:    []byte("\n\treturn out\n}\n"),
		to:      []byte("\n\treturn newObjectFields(fields, out)\n}\n"),
		context: []byte("out := graphql.NewFieldSet(fields)"),
	},
	{
		// The executor marshalled each response's data into a fresh
		// bytes.Buffer, grown by doubling: a nested read's 3.3 KB cost seven
		// allocations and 8 KB. marshalData (graph/response_data.go) writes
		// into a pooled buffer and copies the data out once.
		why:     "response data: query",
		from:    []byte("\t\t\tvar buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\t\t\tresponse.Data = buf.Bytes()\n"),
		to:      []byte("\t\t\tresponse.Data = marshalData(data)\n"),
		context: []byte("func (e *executableSchema) Exec("),
	},
	{
		why:     "response data: mutation",
		from:    []byte("\t\t\tvar buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\n\t\t\treturn &graphql.Response{\n\t\t\t\tData: buf.Bytes(),\n\t\t\t}\n"),
		to:      []byte("\t\t\treturn &graphql.Response{\n\t\t\t\tData: marshalData(data),\n\t\t\t}\n"),
		context: []byte("func (e *executableSchema) Exec("),
	},
}

func rewriteExecutor(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return fmt.Errorf("rewrite executor: %w", err)
	}
	done := make([]int, len(rewrites))
	var objectFuncs, rootFuncs int
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("rewrite executor: %w", err)
		}
		out := src
		for i, r := range rewrites {
			n := bytes.Count(out, r.from)
			if n == 0 {
				continue
			}
			if bytes.Count(out, r.context) < n {
				return fmt.Errorf("rewrite executor: %s: %s: %q without %q", f, r.why, r.from, r.context)
			}
			out = bytes.ReplaceAll(out, r.from, r.to)
			done[i] += n
		}
		var objects, roots int
		if out, objects, roots, err = rewriteObjectValues(out); err != nil {
			return fmt.Errorf("rewrite executor: %s: %w", f, err)
		}
		objectFuncs += objects
		rootFuncs += roots
		if !bytes.Equal(out, src) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return fmt.Errorf("rewrite executor: %w", err)
			}
		}
	}
	for i, r := range rewrites {
		if done[i] == 0 {
			return fmt.Errorf("rewrite executor: %s: no %q in %s: gqlgen's executor template changed", r.why, r.from, dir)
		}
	}
	if objectFuncs == 0 || rootFuncs != 1 {
		return fmt.Errorf("rewrite executor: object values: %d object functions and %d root ones in %s, want some and one: gqlgen's executor template changed",
			objectFuncs, rootFuncs, dir)
	}
	return nil
}

// sequential is the plugin: it marks sequentialObjects before the executor
// is written (the setting gqlgen itself uses for Mutation).
type sequential struct{}

func (sequential) Name() string { return "sequential-objects" }

func (sequential) GenerateCode(data *codegen.Data) error {
	found := 0
	for _, o := range data.Objects {
		if sequentialObjects[o.Name] {
			o.DisableConcurrency = true
			found++
		}
	}
	if found != len(sequentialObjects) {
		return fmt.Errorf("sequential objects: %d of %d found in the schema", found, len(sequentialObjects))
	}
	return nil
}
