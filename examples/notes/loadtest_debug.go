//go:build polytrace_loadtest

package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
)

// Built only with -tags polytrace_loadtest, as bench/loadtest builds the
// service: GET / on LOADTEST_DEBUG_ADDR answers the process's heap
// allocation counters (objects, bytes, GC cycles), which the load test
// reads before and after a measurement to report allocations per request.
func init() {
	addr := os.Getenv("LOADTEST_DEBUG_ADDR")
	if addr == "" {
		return
	}
	go func() {
		_ = http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/allocs" {
				// The allocation profile (exact with GODEBUG=memprofilerate=1).
				runtime.GC()
				_ = pprof.Lookup("allocs").WriteTo(w, 0)
				return
			}
			s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
			metrics.Read(s)
			fmt.Fprintf(w, "%d %d %d\n", s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64())
		}))
	}()
}
