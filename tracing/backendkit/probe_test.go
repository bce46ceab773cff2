package backendkit_test

import (
	"context"
	"testing"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

type vendorKey struct{}

func TestProbeContextKey(t *testing.T) {
	key, ok := backendkit.ProbeContextKey(func(ctx context.Context) { _ = ctx.Value(vendorKey{}) })
	if !ok || key != (vendorKey{}) {
		t.Errorf("ProbeContextKey = %v, %v; want vendorKey{}, true", key, ok)
	}
	// A vendor that asks for no key, and one that panics, are reported,
	// not fatal.
	if key, ok := backendkit.ProbeContextKey(func(context.Context) {}); ok || key != nil {
		t.Errorf("no key asked: %v, %v", key, ok)
	}
	if _, ok := backendkit.ProbeContextKey(func(context.Context) { panic("vendor changed") }); ok {
		t.Error("a panicking lookup reported a key")
	}
}
