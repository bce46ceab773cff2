package main

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/examples/internal/svctest"
)

func TestMain(m *testing.M) {
	svctest.MaybeRunMain(main)
	goleak.VerifyTestMain(m)
}

// TestServeAndShutDown runs notes as a real process on the console
// backend, sends it a request, stops it with SIGTERM, and checks that it
// exits cleanly after writing the request's trace.
func TestServeAndShutDown(t *testing.T) {
	p := svctest.Start(t, nil, "TRACING_BACKEND=console", "NO_COLOR=1", "NOTES_ADDR=127.0.0.1:0",
		"CALENDAR_URL=http://127.0.0.1:1/calendar", "OTEL_SERVICE_NAME=", "DD_SERVICE=", "JAEGER_SERVICE_NAME=")
	resp, err := http.Post("http://"+p.Addr()+"/notes?desc=hello", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("POST /notes: %s", resp.Status)
	}
	if err := p.Stop(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.Stderr())
	}
	out := p.Stderr()
	for _, want := range []string{"backend=console service=notes", `"msg":"shutting down"`, "POST /notes", "└─ CreateNote", "INSERT notes"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadConfiguration(t *testing.T) {
	t.Setenv("TRACING_BACKEND", "zipkin")
	if err := run(t.Context()); err == nil || !strings.Contains(err.Error(), "registered:") {
		t.Errorf("an unknown backend: %v", err)
	}
}
