package otshim_test

import (
	"testing"

	"github.com/polytrace/polytrace/e2e/vendors"
)

// TestMain makes the process quiet for dd-trace-go (the tests run on the
// Datadog backend too) and checks for leaked goroutines.
func TestMain(m *testing.M) { vendors.Main(m) }
