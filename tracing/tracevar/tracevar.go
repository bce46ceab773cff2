// Package tracevar publishes a polytrace tracer's own metrics through the
// standard library's expvar (GET /debug/vars on http.DefaultServeMux):
//
//	tracevar.Publish("polytrace", nil) // tracing.Default(), read at each request
//
// gives, under "polytrace":
//
//	{"ended": 1200, "exported": 1100, "dropped": 100, "pending": 0,
//	 "dropped_by": {"queue_full": 100, "export_failed": 0, "too_large": 0,
//	                "after_shutdown": 0, "shutdown_deadline": 0},
//	 "exports": {"requests": 4, "failed": 0, "latency_seconds_sum": 0.031,
//	             "latency_buckets": {"0.005": 1, …, "+Inf": 0}}}
//
// It is a package of its own, not part of package tracing, because
// importing expvar registers /debug/vars on http.DefaultServeMux and
// publishes the command line and memory statistics: an application that
// imports tracing should not get those without asking. Prometheus users
// have traceprom; the OpenTelemetry backend has WithMeterProvider.
package tracevar

import (
	"expvar"
	"strconv"

	"github.com/polytrace/polytrace/tracing"
)

// Publish publishes tr's metrics as the expvar variable name, read at each
// request; a nil tr means tracing.Default() at each request. Like
// expvar.Publish, it panics if name is already published.
func Publish(name string, tr *tracing.Tracer) {
	expvar.Publish(name, Func(tr))
}

// Func returns an expvar.Func that reads tr's metrics (tracing.Default()'s
// if tr is nil), for an application that publishes it itself.
func Func(tr *tracing.Tracer) expvar.Func {
	return func() any {
		t := tr
		if t == nil {
			t = tracing.Default()
		}
		return metrics(t.Stats(), t.ExportStats())
	}
}

func metrics(st tracing.Stats, es tracing.ExportStats) map[string]any {
	d := st.DroppedBy
	buckets := make(map[string]uint64, len(es.Latency))
	for i, b := range tracing.ExportLatencyBounds {
		buckets[strconv.FormatFloat(b.Seconds(), 'g', -1, 64)] = es.Latency[i]
	}
	buckets["+Inf"] = es.Latency[len(es.Latency)-1]
	return map[string]any{
		"ended":    st.Ended,
		"exported": st.Exported,
		"dropped":  st.Dropped,
		"pending":  st.Pending,
		"dropped_by": map[string]uint64{
			"queue_full": d.QueueFull, "export_failed": d.ExportFailed, "too_large": d.TooLarge,
			"after_shutdown": d.AfterShutdown, "shutdown_deadline": d.ShutdownDeadline,
		},
		"exports": map[string]any{
			"requests":            es.Requests,
			"failed":              es.Failed,
			"latency_seconds_sum": es.LatencySum.Seconds(),
			"latency_buckets":     buckets,
		},
	}
}
