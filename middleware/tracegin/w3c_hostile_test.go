package tracegin_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
)

// TestPropagation sends representative hostile trace headers (W3C, Jaeger,
// Datadog) to a service on every backend; tracehttp's tests run every
// case over the same propagation code.
func TestPropagation(t *testing.T) {
	httpkittest.RunPropagation(t, adapter, httpkittest.Backends, httpkittest.RepresentativeCases())
}
