// Package logcorrelation_test checks log correlation on the vendor
// backends: the ids that tracing/tracelog (log/slog), tracing/tracelogrus
// (logrus) and tracing/tracezap (zap) write inside a span are the ids of
// the span the backend really exported, decoded from what it sent, in that
// backend's form and under its keys.
package logcorrelation_test

import (
	"testing"

	"github.com/polytrace/polytrace/e2e/vendors"
)

// TestMain makes the process quiet for dd-trace-go (the tests run on the
// Datadog backend too) and checks for leaked goroutines.
func TestMain(m *testing.M) { vendors.Main(m) }
