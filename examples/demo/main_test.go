package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDemo runs the demo as a user would and checks that it drew both
// traces, each as one tree spanning client and server.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo program; skipped in -short mode")
	}
	cmd := exec.Command(os.Args[0], "-test.run=TestHelperRunDemo")
	cmd.Env = append(os.Environ(), "DEMO_HELPER=1", "TRACING_BACKEND=", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo failed: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	trees := stderr.String()
	if n := strings.Count(trees, "trace "); n != 2 {
		t.Errorf("want 2 trace trees, got %d:\n%s", n, trees)
	}
	for _, want := range []string{"CreateNote", "└─ GET ", "GET /calendar", "GetDate", "✗ calendar is unavailable", "3 errors"} {
		if !strings.Contains(trees, want) {
			t.Errorf("output lacks %q:\n%s", want, trees)
		}
	}
	if !strings.Contains(stdout.String(), "backend=console service=demo") {
		t.Errorf("no startup summary: %s", stdout.String())
	}
}

func TestHelperRunDemo(t *testing.T) {
	if os.Getenv("DEMO_HELPER") != "1" {
		t.Skip("helper process for TestDemo")
	}
	if err := run(os.Stdout); err != nil {
		t.Fatal(err)
	}
}
