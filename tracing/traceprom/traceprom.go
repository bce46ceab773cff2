// Package traceprom publishes a polytrace tracer's own metrics — spans
// ended, exported, dropped by reason, pending, and the backend's export
// requests — as a Prometheus collector, whatever the backend:
//
//	prometheus.MustRegister(traceprom.NewCollector(nil)) // tracing.Default() at each scrape
//	http.Handle("/metrics", promhttp.Handler())
//
// The metrics, read from Tracer.Stats and Tracer.ExportStats at each
// scrape:
//
//	polytrace_spans_ended_total                counter
//	polytrace_spans_exported_total             counter
//	polytrace_spans_dropped_total{reason}      counter (queue_full, export_failed, too_large, after_shutdown, shutdown_deadline)
//	polytrace_spans_pending                    gauge
//	polytrace_exports_total{outcome}           counter (success, failure)
//	polytrace_export_duration_seconds          histogram
//
// The OpenTelemetry backend also publishes them through a MeterProvider
// (otelbackend.WithMeterProvider), and package tracevar through expvar.
package traceprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/polytrace/polytrace/tracing"
)

// Collector is a prometheus.Collector of a tracer's own metrics.
type Collector struct {
	tracer func() *tracing.Tracer

	ended, exported, dropped, pending, exports, duration *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// dropReasons are the label values of polytrace_spans_dropped_total, in
// the order of their counts in tracing.DropCounts.
var dropReasons = [...]string{"queue_full", "export_failed", "too_large", "after_shutdown", "shutdown_deadline"}

func dropCounts(d tracing.DropCounts) [len(dropReasons)]uint64 {
	return [...]uint64{d.QueueFull, d.ExportFailed, d.TooLarge, d.AfterShutdown, d.ShutdownDeadline}
}

// NewCollector returns a collector of tr's metrics; a nil tr means the
// process-wide tracer, tracing.Default(), at each scrape (so that the
// collector can be registered before the tracer is made, and follows
// tracing.SetDefault).
func NewCollector(tr *tracing.Tracer) *Collector {
	get := func() *tracing.Tracer { return tr }
	if tr == nil {
		get = tracing.Default
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("polytrace_"+name, help, labels, nil)
	}
	return &Collector{
		tracer:   get,
		ended:    d("spans_ended_total", "Spans ended and handed to the tracing backend (and spans started after Shutdown)."),
		exported: d("spans_exported_total", "Spans the collector or agent accepted."),
		dropped:  d("spans_dropped_total", "Spans lost, by reason.", "reason"),
		pending:  d("spans_pending", "Spans queued or being exported."),
		exports:  d("exports_total", "Export requests that finished, by outcome.", "outcome"),
		duration: d("export_duration_seconds", "How long export requests took."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.ended, c.exported, c.dropped, c.pending, c.exports, c.duration} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	tr := c.tracer()
	st, es := tr.Stats(), tr.ExportStats()
	ch <- prometheus.MustNewConstMetric(c.ended, prometheus.CounterValue, float64(st.Ended))
	ch <- prometheus.MustNewConstMetric(c.exported, prometheus.CounterValue, float64(st.Exported))
	for i, n := range dropCounts(st.DroppedBy) {
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(n), dropReasons[i])
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(c.exports, prometheus.CounterValue, float64(es.Requests-es.Failed), "success")
	ch <- prometheus.MustNewConstMetric(c.exports, prometheus.CounterValue, float64(es.Failed), "failure")
	buckets := make(map[float64]uint64, len(tracing.ExportLatencyBounds))
	var cum uint64
	for i, b := range tracing.ExportLatencyBounds {
		cum += es.Latency[i]
		buckets[b.Seconds()] = cum
	}
	ch <- prometheus.MustNewConstHistogram(c.duration, es.Requests, es.LatencySum.Seconds(), buckets)
}
