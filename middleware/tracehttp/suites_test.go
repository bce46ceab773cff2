package tracehttp_test

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
)

// TestClient runs the client transport's suite on the in-process
// backends; the e2e module runs it on the vendor backends too.
func TestClient(t *testing.T) { httpkittest.RunClientSuite(t) }

// TestSecrets runs the secrets suite on the in-process backends; the e2e
// module runs it on the vendor backends too.
func TestSecrets(t *testing.T) { httpkittest.RunSecretsSuite(t) }
