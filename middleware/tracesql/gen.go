//go:build ignore

// gen.go writes combos_gen.go and combos_gen_test.go; run it with
// `go generate` (see doc.go).
package main

import (
	"log"
	"os"

	"github.com/polytrace/polytrace/middleware/tracesql/internal/combogen"
)

func main() {
	prod, test := combogen.Files()
	for _, f := range []struct {
		name     string
		families []combogen.Family
	}{{"combos_gen.go", prod}, {"combos_gen_test.go", test}} {
		src, err := combogen.Generate("tracesql", f.families)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(f.name, src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
