package traceprom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/polytrace/polytrace/tracing/traceprom"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCollector: the exposition a scrape of /metrics returns, read back
// as text.
func TestCollector(t *testing.T) {
	b := &tracingtest.CountsBackend{}
	b.Counters.AddEnded(10)
	b.Counters.AddExported(6)
	b.Counters.AddDropped(backendkit.DropQueueFull, 3)
	b.Counters.ObserveExport(3*time.Millisecond, false)
	b.Counters.ObserveExport(2*time.Second, true)
	tr := tracing.New(b)
	_ = tr.Shutdown(context.Background())
	tr.Start(context.Background(), "after shutdown")

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(traceprom.NewCollector(tr))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	body := sb.String()
	for _, want := range []string{
		"polytrace_spans_ended_total 11",
		"polytrace_spans_exported_total 6",
		`polytrace_spans_dropped_total{reason="queue_full"} 3`,
		`polytrace_spans_dropped_total{reason="after_shutdown"} 1`,
		`polytrace_spans_dropped_total{reason="shutdown_deadline"} 0`,
		"polytrace_spans_pending 1",
		`polytrace_exports_total{outcome="success"} 1`,
		`polytrace_exports_total{outcome="failure"} 1`,
		`polytrace_export_duration_seconds_bucket{le="0.005"} 1`,
		`polytrace_export_duration_seconds_bucket{le="2.5"} 2`,
		`polytrace_export_duration_seconds_bucket{le="+Inf"} 2`,
		"polytrace_export_duration_seconds_count 2",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
}

// TestCollectorDefault: a nil tracer means tracing.Default() at each
// scrape.
func TestCollectorDefault(t *testing.T) {
	b := &tracingtest.CountsBackend{}
	b.Counters.AddEnded(2)
	tracing.SetDefault(tracing.New(b))
	defer tracing.SetDefault(nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(traceprom.NewCollector(nil))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "polytrace_spans_pending" && mf.GetMetric()[0].GetGauge().GetValue() != 2 {
			t.Errorf("pending %v, want 2 (the default tracer's)", mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
}
