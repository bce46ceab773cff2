// Package bench compares polytrace's HTTP adapters with the bare frameworks
// and with the vendors' own instrumentation, in one run:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./middleware/internal/bench > new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /impl new.txt
//
// Sub-benchmark names differ only by impl=…, so benchstat puts the
// variants side by side. Requests are served in process (no network) with
// a ResponseWriter that discards, so the figures are the instrumentation's
// cost plus the framework's, not the kernel's.
//
// The compared pairs run on identical pipelines: polytrace-otel on the
// OpenTelemetry SDK TracerProvider of the otelhttp and otelgin variants
// (sampling everything, a blocking batch processor, a discarding
// exporter); polytrace-datadog and ddcontrib on the same dd-trace-go
// tracer (the one the Datadog backend starts) sending to a loopback agent
// that discards; polytrace-recorder and ddcontrib-mocktracer in memory.
// tracesql's BenchmarkQuery has the same pairs for database/sql (otelsql,
// dd's sqltrace). The module's bench package has the wider comparisons.
package bench
