// Command graphgen is `gqlgen generate` for this module (make generate): the
// same configuration (gqlgen.yml) and plugins, plus one that resolves the
// fields of some objects in their parent's goroutine, and one rewrite of the
// written executor (lazyDeferredGroups).
//
// gqlgen starts a goroutine for every resolver field of every object, so
// that fields waiting on I/O wait together. The objects named in
// sequentialObjects are many per response (a page of system users, a
// system's rights) and their resolver fields are cheap: a global id, an
// enum, or a catalog lookup the dataloaders answer from memory. For them
// the goroutines cost more than the fields (stack growth alone was ~18 %
// of the CPU of a nested read, issue 14). Their lists still marshal
// concurrently, one goroutine per element, so loads of several elements
// still meet in one batch.
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
	if err := api.Generate(cfg, api.PrependPlugin(sequential{})); err != nil {
		fmt.Fprintln(os.Stderr, "graphgen:", err)
		os.Exit(3)
	}
	if err := lazyDeferredGroups(cfg.Exec.Dir()); err != nil {
		fmt.Fprintln(os.Stderr, "graphgen:", err)
		os.Exit(4)
	}
}

// The executor gqlgen writes builds a graphql.DeferredGroup for every object
// it marshals, path included, though only an @defer reads it: a sixth of a
// nested read's allocations (issue 14). gqlgen's templates cannot be
// changed from a plugin, so the written code is rewritten to call the
// package's deferredGroup (graph/deferred_group.go), which builds the same
// group only when the object's selection defers a field.
var (
	eagerDeferredGroup = []byte("deferred := graphql.NewDeferredGroup(ctx)")
	lazyDeferredGroup  = []byte("deferred := deferredGroup(ctx, fields)")
)

func lazyDeferredGroups(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return fmt.Errorf("lazy deferred groups: %w", err)
	}
	rewritten := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("lazy deferred groups: %w", err)
		}
		n := bytes.Count(src, eagerDeferredGroup)
		if n == 0 {
			continue
		}
		// The group is declared right after the object's fields are
		// collected; a template that changes that must be looked at again.
		if bytes.Count(src, []byte("fields := graphql.CollectFields(")) < n {
			return fmt.Errorf("lazy deferred groups: %s: a deferred group without collected fields", f)
		}
		if err := os.WriteFile(f, bytes.ReplaceAll(src, eagerDeferredGroup, lazyDeferredGroup), 0o644); err != nil {
			return fmt.Errorf("lazy deferred groups: %w", err)
		}
		rewritten += n
	}
	if rewritten == 0 {
		return fmt.Errorf("lazy deferred groups: no %q in %s: gqlgen's executor template changed", eagerDeferredGroup, dir)
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
