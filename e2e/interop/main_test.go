// Package interop_test checks polytrace's backends against vendor APIs and
// integrations that their own modules do not depend on: dd-trace-go v1 and
// its contrib packages on the Datadog backend, jaeger-lib's Prometheus
// metrics on the jaeger backend.
package interop_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

func TestMain(m *testing.M) { vendors.Main(m) }

func bg() context.Context { return context.Background() }

// newAgent starts a fake agent that closes when the test ends.
func newAgent(t testing.TB, cfg ddtest.Config) *ddtest.Agent {
	t.Helper()
	a := ddtest.Start(cfg)
	t.Cleanup(func() {
		if errs := a.Errors(); len(errs) > 0 {
			t.Errorf("payloads that could not be decoded: %v", errs)
		}
		a.Close()
	})
	return a
}

// newBackend creates a backend sending to a and shuts it down when the
// test ends (before a closes).
func newBackend(t testing.TB, a *ddtest.Agent, opts ...ddbackend.Option) *ddbackend.Backend {
	t.Helper()
	b, err := ddbackend.New(append([]ddbackend.Option{ddbackend.WithAgentURL(a.URL())}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { shutdown(t, b) })
	return b
}

func shutdown(t testing.TB, b *ddbackend.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
