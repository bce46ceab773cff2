package tracingtest

// Hang detectors for tests of backends and receivers: bounds far above
// anything the code under test should take, so that a hang fails the test
// instead of stalling it, and no timing is judged.

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
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

// Changes lets a test wait, without polling, for state that changes in the
// background (the spans or requests a fake receiver got, the connections a
// Blackhole accepted): the code that changes the state calls Notify, and
// waiters call WaitUntil with a condition on it. The receivers of
// otlptest, ddtest and jaegertest wait this way. The zero value is ready
// to use.
type Changes struct {
	mu sync.Mutex
	ch chan struct{} // closed by the next Notify; nil until someone waits
}

// Notify tells the waiters that the state changed: each checks its
// condition again.
func (c *Changes) Notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// next returns a channel closed by the next Notify.
func (c *Changes) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

// WaitUntil calls cond, and again after each Notify, until it returns true
// or timeout has passed (a timeout of 0 checks once), and reports whether
// cond held. No change is missed: cond is called after the wait for the
// next Notify has begun. cond runs on the caller's goroutine and takes
// whatever locks the state it reads needs.
func (c *Changes) WaitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := c.next()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return cond()
		}
	}
}

// Shutdown shuts b (a backend or a Tracer) down with a deadline fifteen
// seconds away, and fails t if it returns an error. Tests register it
// with t.Cleanup for the backends they create.
func Shutdown(t testing.TB, b interface{ Shutdown(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// Flush force-flushes b (a backend or a Tracer) with a deadline ten
// seconds away, and stops the test if it returns an error.
func Flush(t testing.TB, b tracing.Flusher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
}

// IsolateEnv clears, for the test's duration, the tracing variables of the
// machine running the tests (every OTEL_*, DD_*, JAEGER_* and TRACING_*
// variable, those ddtest.Quiet leaves out of a test binary's environment),
// then sets vars, so that only what the test sets applies. As t.Setenv,
// it cannot be used in parallel tests.
func IsolateEnv(t testing.TB, vars map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, prefix := range []string{"OTEL_", "DD_", "JAEGER_", "TRACING_"} {
			if strings.HasPrefix(k, prefix) {
				t.Setenv(k, "")
			}
		}
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}
