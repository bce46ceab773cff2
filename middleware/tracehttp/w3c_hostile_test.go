package tracehttp_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/internal/mwtest"
)

// TestW3CTraceContext sends the W3C Trace Context cases to a service on
// every backend and checks what each exported and what the service sent
// on to the next one.
func TestW3CTraceContext(t *testing.T) {
	mwtest.RunPropagation(t, muxAdapter, mwtest.Backends, mwtest.W3CCases())
}

// TestW3CBaggage does the same with the W3C Baggage cases.
func TestW3CBaggage(t *testing.T) {
	mwtest.RunPropagation(t, muxAdapter, mwtest.Backends, mwtest.BaggageCases())
}

// TestJaegerPropagation: uber-trace-id and uberctx-* from hostile callers,
// on the backends that read them.
func TestJaegerPropagation(t *testing.T) {
	mwtest.RunPropagation(t, muxAdapter, mwtest.Backends, mwtest.JaegerCases())
}

// TestDatadogPropagation: x-datadog-* from hostile callers, on the
// backends that read them.
func TestDatadogPropagation(t *testing.T) {
	mwtest.RunPropagation(t, muxAdapter, mwtest.Backends, mwtest.DatadogCases())
}

// TestB3Propagation: B3 single and multiple headers, on the otel backend
// configured for them by OTEL_PROPAGATORS.
func TestB3Propagation(t *testing.T) {
	mwtest.RunPropagation(t, muxAdapter, mwtest.B3Backends(), mwtest.B3Cases())
}
