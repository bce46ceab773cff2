package docs_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickStart builds the README's Quick start as written and runs it the
// ways the README says, with no collector or agent anywhere: it must exit
// successfully and promptly (its Shutdown is bounded at 2 s; the bound
// here only catches a hang), print its span with the console backend, and
// say in a few lines, not a configuration dump, what it could not reach.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Quick start program; skipped in -short mode")
	}
	wd, _ := os.Getwd()
	root := filepath.Dir(filepath.Dir(wd))
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Skipf("not run from a checkout of the repository (%v)", err)
	}
	var src string
	for _, b := range blocks(t, root, "README.md") {
		if strings.Contains(b.src, "package main") && strings.Contains(b.src, `WithDefaultServiceName("quickstart")`) {
			src = b.src
			break
		}
	}
	if src == "" {
		t.Fatal("README.md has no Quick start program")
	}
	dir, err := os.MkdirTemp(wd, "_quickstart")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	build := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir))
	build.Dir = wd
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Quick start does not build as written: %v\n%s", err, out)
	}

	refused := refusedAddr(t)
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DD_INSTRUMENTATION_TELEMETRY_ENABLED=false"}
	for _, tc := range []struct {
		name     string
		env      []string
		want     string // in the output
		maxLines int
	}{
		{"console", []string{"TRACING_BACKEND=console"}, "CreateNote", 20},
		{"unset", nil, "tracing is off", 1},
		// The startup line, and one line saying what could not be reached
		// and why (or the program's own report of its Shutdown timing out,
		// for gRPC, whose exporter retries until then).
		{"otel-http-no-collector", []string{"TRACING_BACKEND=otel", "OTEL_EXPORTER_OTLP_ENDPOINT=http://" + refused}, "(connection refused): 2 dropped so far", 2},
		{"otel-grpc-no-collector", []string{"TRACING_BACKEND=otel", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_EXPORTER_OTLP_ENDPOINT=http://" + refused}, "backend=otel", 2},
		{"datadog-no-agent", []string{"TRACING_BACKEND=datadog", "DD_TRACE_AGENT_URL=http://" + refused}, "(connection refused): 2 dropped so far", 2},
		{"jaeger-no-collector", []string{"TRACING_BACKEND=jaeger", "JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1", "JAEGER_ENDPOINT=http://" + refused + "/api/traces"}, "(connection refused): 2 dropped so far", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(append([]string(nil), base...), tc.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			t.Logf("exited after %v:\n%s", took.Round(time.Millisecond), out.String())
			if ctx.Err() != nil {
				t.Fatalf("still running after a minute")
			}
			if err != nil {
				t.Errorf("exit: %v", err)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output lacks %q", tc.want)
			}
			if n := strings.Count(strings.TrimSpace(out.String()), "\n") + 1; n > tc.maxLines {
				t.Errorf("%d lines of output, want at most %d", n, tc.maxLines)
			}
		})
	}
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
