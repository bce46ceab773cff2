package otshim_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines. The shim's behaviour on every
// backend, vendors included, is tested in the e2e module (e2e/otshim).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
