package tracehttp_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
)

// TestW3CTraceContext sends the W3C Trace Context cases to a service on
// the in-process backends and checks what each exported and what the
// service sent on to the next one. The e2e module runs them, and the
// Jaeger, Datadog and B3 cases, on the vendor backends.
func TestW3CTraceContext(t *testing.T) {
	httpkittest.RunPropagation(t, muxAdapter, httpkittest.Backends, httpkittest.W3CCases())
}

// TestW3CBaggage does the same with the W3C Baggage cases.
func TestW3CBaggage(t *testing.T) {
	httpkittest.RunPropagation(t, muxAdapter, httpkittest.Backends, httpkittest.BaggageCases())
}
