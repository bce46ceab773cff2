package tracesql

import (
	"bytes"
	"os"
	"testing"

	"github.com/polytrace/polytrace/middleware/tracesql/internal/combogen"
)

// TestGeneratedCombosUpToDate fails when the tables in internal/combogen
// changed without `go generate`.
func TestGeneratedCombosUpToDate(t *testing.T) {
	prod, test := combogen.Files()
	for name, families := range map[string][]combogen.Family{"combos_gen.go": prod, "combos_gen_test.go": test} {
		want, err := combogen.Generate("tracesql", families)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate in middleware/tracesql", name)
		}
	}
	// The connection's ExecerContext and QueryerContext are on whenever
	// their legacy forms are: 3 states each instead of 4.
	if got, want := len(connMasks), 2*3*3*2*2*2; got != want {
		t.Errorf("%d connection combinations, want %d", got, want)
	}
}
