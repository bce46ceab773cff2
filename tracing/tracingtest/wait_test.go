package tracingtest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestShutdownReturnsTheError(t *testing.T) {
	err := ShutdownWithin(t, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 10*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ShutdownWithin returned %v, want the deadline error", err)
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll stopped after %d calls", n)
	}
}

func TestIsolateEnv(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "from-the-machine")
	t.Setenv("TRACING_BACKEND", "console")
	IsolateEnv(t, map[string]string{"DD_ENV": "test"})
	if os.Getenv("OTEL_SERVICE_NAME") != "" || os.Getenv("TRACING_BACKEND") != "" || os.Getenv("DD_ENV") != "test" {
		t.Errorf("environment not isolated: %q %q %q", os.Getenv("OTEL_SERVICE_NAME"), os.Getenv("TRACING_BACKEND"), os.Getenv("DD_ENV"))
	}
}
