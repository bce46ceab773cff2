package grpc_test

import (
	"testing"

	"github.com/polytrace/polytrace/e2e/vendors"
)

func TestMain(m *testing.M) { vendors.Main(m) }
