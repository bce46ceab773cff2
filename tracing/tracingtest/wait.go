package tracingtest

// Hang detectors for tests of backends and receivers: bounds far above
// anything the code under test should take, so that a hang fails the test
// instead of stalling it, and no timing is judged.

import (
	"context"
	"testing"
	"time"
)

// Guard fails the test if done is not closed within a minute.
func Guard(t testing.TB, done <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal(msg)
	}
}

// Poll reports whether cond came to hold within half a minute.
func Poll(cond func() bool) bool {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// WaitFor polls cond until it holds, failing the test after half a minute.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Poll(cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// ShutdownWithin calls shutdown with a context whose deadline is d away and
// returns its error; the test fails if shutdown has not returned a minute
// later (it must return by its context's deadline).
func ShutdownWithin(t testing.TB, shutdown func(context.Context) error, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- shutdown(ctx) }()
	select {
	case err := <-errc:
		t.Logf("Shutdown(%v deadline) returned after %v: %v", d, time.Since(start).Round(time.Millisecond), err)
		return err
	case <-time.After(time.Minute):
		t.Fatal("Shutdown did not return by its context's deadline")
		return nil
	}
}
