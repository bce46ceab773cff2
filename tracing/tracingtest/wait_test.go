package tracingtest

import (
	"context"
	"errors"
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
