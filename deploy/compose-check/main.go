// compose-check validates deploy/compose.yaml the way `docker compose config` does, with
// the compose-spec loader (schema, interpolation, anchors, depends_on references), and
// needs no Docker engine. CI runs it: `go run ./deploy/compose-check deploy/compose.yaml`.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check PATH/TO/compose.yaml")
		os.Exit(2)
	}
	path, err := filepath.Abs(os.Args[1])
	if err != nil {
		fail(err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(path),
		ConfigFiles: []types.ConfigFile{{Filename: path, Content: content}},
		Environment: types.Mapping{},
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("quiz", true)
	})
	if err != nil {
		fail(err)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		svc := project.Services[name]
		for dep := range svc.DependsOn {
			if _, ok := project.Services[dep]; !ok {
				fail(fmt.Errorf("service %s depends on unknown service %s", name, dep))
			}
		}
	}
	fmt.Printf("compose-check: %s is valid: %d services: %v\n", filepath.Base(path), len(names), names)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
