package mwtest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// Main is the TestMain of every package whose tests run on Backends. It
// runs the test binary again in a hermetic environment with dd-trace-go's
// side services off (ddtest.Quiet), then checks for leaked goroutines.
func Main(m *testing.M) {
	ddtest.Quiet()
	goleak.VerifyTestMain(m, LeakOptions()...)
}

// LeakOptions are the goroutines goleak must ignore in packages that start
// the Datadog backend.
func LeakOptions() []goleak.Option { return ddtest.IgnoreLeaks() }
