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
package bench
