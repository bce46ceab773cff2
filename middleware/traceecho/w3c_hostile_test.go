package traceecho_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/internal/mwtest"
)

// TestPropagation sends representative hostile trace headers (W3C, Jaeger,
// Datadog) to a service on every backend; tracehttp's tests run every
// case over the same propagation code.
func TestPropagation(t *testing.T) {
	mwtest.RunPropagation(t, adapter, mwtest.Backends, mwtest.RepresentativeCases())
}
