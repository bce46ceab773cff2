// Package bench holds polytrace's side-by-side benchmarks: the facade over
// each backend against that vendor's SDK used directly, with the same
// sampler, processor and exporter or loopback sink on both sides; the
// none backend against OpenTelemetry's no-op tracer; every propagation
// format against the vendor's propagator; each HTTP middleware and
// tracesql against bare code and the vendors' own instrumentation; how
// many spans one core exports per backend; and what each group of the
// middleware's attributes costs per backend (BenchmarkAttrGroups).
// bench/loadtest runs the example services end to end, beside each
// vendor's stock stack (bench/loadtest/stocknotes).
//
// It has no API: everything is in its _test.go files, which may import
// every vendor module. Run and compare with
//
//	scripts/bench.sh            # go test -bench . -count 6 ./bench/... | benchstat
//	scripts/bench.sh --smoke    # every benchmark of the module once (CI)
//
// Sub-benchmark names end in /impl=…, so that benchstat -col /impl puts
// the compared variants side by side. dd-trace-go's tracer is process
// global, so every Datadog variant starts its own backend (with the same
// options) and stops it when done; TestMain re-runs the test binary with
// dd-trace-go's telemetry off, as the ddbackend tests do. See
// BENCHMARKS.md at the root of the module for the figures.
package bench
