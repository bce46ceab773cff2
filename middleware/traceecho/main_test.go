package traceecho_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/internal/mwtest"
)

// TestMain runs the tests in a hermetic environment (dd-trace-go's side
// services off) and checks for leaked goroutines: see mwtest.Main.
func TestMain(m *testing.M) { mwtest.Main(m) }
