package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/examples/internal/svctest"
)

// TestMetrics runs notes as a real process on the console backend, sends
// it a request, and reads the tracer's own metrics from GET /metrics: the
// request's spans are counted as ended and delivered, none dropped.
func TestMetrics(t *testing.T) {
	p := svctest.Start(t, nil, "TRACING_BACKEND=console", "NO_COLOR=1", "NOTES_ADDR=127.0.0.1:0",
		"CALENDAR_URL=http://127.0.0.1:1/calendar", "OTEL_SERVICE_NAME=", "DD_SERVICE=", "JAEGER_SERVICE_NAME=")
	resp, err := http.Post("http://"+p.Addr()+"/notes?desc=hello", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + p.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"# TYPE polytrace_spans_ended_total counter",
		`polytrace_spans_dropped_total{reason="queue_full"} 0`,
		"polytrace_spans_pending 0",
		"# TYPE polytrace_export_duration_seconds histogram",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "polytrace_spans_ended_total 0\n") || strings.Contains(text, "polytrace_spans_exported_total 0\n") {
		t.Errorf("/metrics counts no span of the request:\n%s", text)
	}
}
