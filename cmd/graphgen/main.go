// Command graphgen is `gqlgen generate` for this module (make generate): the
// same configuration (gqlgen.yml) and plugins, plus one that resolves the
// fields of some objects in their parent's goroutine.
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
	"fmt"
	"os"

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
