package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/traceprom"
)

// withMetrics serves the tracer's own metrics (spans ended, exported,
// dropped by reason, pending; export requests and their durations) in
// Prometheus' text format at GET /metrics, and everything else with h:
//
//	curl localhost:8080/metrics
func withMetrics(h http.Handler, tracer *tracing.Tracer) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(traceprom.NewCollector(tracer))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", h)
	return mux
}
