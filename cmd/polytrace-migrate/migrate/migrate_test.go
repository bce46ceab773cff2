package migrate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/polytrace/polytrace/cmd/polytrace-migrate/migrate"
)

// The test data is a module (testdata/mod) that requires the real
// opentracing-go, jaeger-client-go, opentracing-contrib and grpc modules,
// so that the analyzer sees their real types; analysistest loads it in
// module mode with GOPROXY=off, so TestMain downloads them first.
func TestMain(m *testing.M) {
	if _, err := exec.LookPath("go"); err == nil {
		cmd := exec.Command("go", "mod", "download")
		cmd.Dir = filepath.Join("testdata", "mod")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Stderr.Write(out)
		}
	}
	os.Exit(m.Run())
}

func TestRewrites(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	analysistest.RunWithSuggestedFixes(t, dir, migrate.Analyzer,
		"./aliases", "./baggage", "./exported", "./forms", "./grpcsvc", "./importer", "./jaegerctx", "./logs",
		"./nethttpmw", "./plumbing", "./propagation", "./refuse", "./spans", "./tags")
}
