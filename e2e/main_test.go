//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The repository and the service binaries TestMain builds.
var (
	repoRoot    string
	notesBin    string
	calendarBin string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "polytrace-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildServices(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	// Every process, connection and reader goroutine of the harness must
	// be gone once the tests' cleanups have run.
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: goroutines leaked:", err)
			code = 1
		}
	}
	return code
}

// findRepoRoot returns the module root: the tests run in <root>/e2e.
func findRepoRoot() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.Contains(mod, []byte("module github.com/polytrace/polytrace\n")) {
		return "", fmt.Errorf("%s is not the polytrace module root (run the tests from the e2e directory)", root)
	}
	return root, nil
}

// buildServices builds the notes and calendar commands into dir, once per
// run. The environment is passed on as it is (GOFLAGS included).
func buildServices(dir string) error {
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./examples/notes", "./examples/calendar")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./examples/notes ./examples/calendar: %v\n%s", err, out)
	}
	notesBin, calendarBin = filepath.Join(dir, "notes"), filepath.Join(dir, "calendar")
	fmt.Printf("e2e: built notes and calendar in %.1fs\n", time.Since(start).Seconds())
	return nil
}

// toolsBin is where scripts/build-tools.sh puts the servers.
func toolsBin() string {
	if d := os.Getenv("TOOLS_BIN"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, ".tools", "bin")
}

// requireTool returns the path of a server binary, or skips the test
// when it has not been built.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(toolsBin(), name)
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Skipf("%s is not built (%s missing): run scripts/build-tools.sh first", name, p)
	}
	return p
}

// serviceEnv is the environment of a child process: this process's,
// without any variable that configures tracing or the services (so that a
// developer's settings cannot leak into a leg) or a proxy, plus extra.
func serviceEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		switch {
		case up == "TRACING_BACKEND", strings.HasPrefix(up, "OTEL_"), strings.HasPrefix(up, "DD_"),
			strings.HasPrefix(up, "JAEGER_"), strings.HasPrefix(up, "NOTES_"), strings.HasPrefix(up, "CALENDAR_"),
			strings.HasPrefix(up, "OTELCOL_"), strings.HasSuffix(up, "_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
