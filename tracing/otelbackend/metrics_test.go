package otelbackend_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestMeterProvider: the backend's own metrics, collected through the
// MeterProvider given with WithMeterProvider, say what Stats says: spans
// ended, exported, dropped by reason, pending, and the exports' outcomes
// and durations.
func TestMeterProvider(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	gate := newGate(false)
	b, err := otelbackend.New(otelbackend.WithExporter(gate), otelbackend.WithoutGlobal(), otelbackend.WithMeterProvider(mp),
		otelbackend.WithBatchOptions(sdkBatch(2, 1, time.Hour, time.Hour)...))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	end := func() {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	end()
	<-gate.started
	for range 10 {
		end() // two queued, eight dropped
	}
	collect := func() map[string]map[string]int64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				vals := map[string]int64{}
				label := func(s attribute.Set) string {
					for _, k := range []attribute.Key{"reason", "outcome"} {
						if v, ok := s.Value(k); ok {
							return v.AsString()
						}
					}
					return ""
				}
				switch d := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, p := range d.DataPoints {
						vals[label(p.Attributes)] = p.Value
					}
				case metricdata.Gauge[int64]:
					for _, p := range d.DataPoints {
						vals[label(p.Attributes)] = p.Value
					}
				case metricdata.Histogram[float64]:
					for _, p := range d.DataPoints {
						vals[label(p.Attributes)] = int64(p.Count)
					}
				}
				out[m.Name] = vals
			}
		}
		return out
	}
	live := collect()
	if live["polytrace.spans.ended"][""] != 11 || live["polytrace.spans.dropped"]["queue_full"] != 8 ||
		live["polytrace.spans.pending"][""] != 3 || live["polytrace.spans.exported"][""] != 0 {
		t.Errorf("while the export is held: %v", live)
	}
	close(gate.release)
	tracingtest.Shutdown(t, b)
	after := collect() // still observed after Shutdown: the final counts
	if after["polytrace.spans.exported"][""] != 3 || after["polytrace.spans.pending"][""] != 0 ||
		after["polytrace.exports"]["success"] != 3 || after["polytrace.export.duration"]["success"] != 3 {
		t.Errorf("after Shutdown: %v, want 3 spans exported in 3 exports, none pending", after)
	}
}
