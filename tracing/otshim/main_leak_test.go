package otshim_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// TestMain makes the process quiet for dd-trace-go (the tests run on the
// Datadog backend too) and checks for leaked goroutines.
func TestMain(m *testing.M) {
	ddtest.Quiet()
	goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
}
