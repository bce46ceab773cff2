package backendkit

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWarningsOncePerInterval(t *testing.T) {
	// Of the goroutines warning at once, one writes: a Builder is enough.
	var buf strings.Builder
	w := NewWarnings("otel", &buf)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			w.Warn("collector", "cannot reach the collector at %s: %s", "http://localhost:4318", "connection refused")
		})
	}
	wg.Wait()
	w.Warn("", "another problem")
	now = now.Add(59 * time.Second)
	w.Warn("collector", "cannot reach the collector: timeout")
	now = now.Add(2 * time.Second)
	w.Warn("collector", "cannot reach the collector: timeout\nsecond line")
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"polytrace: otel: cannot reach the collector at http://localhost:4318: connection refused",
		"polytrace: otel: another problem",
		"polytrace: otel: cannot reach the collector: timeout second line (50 more like this in the last 1m1s)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var nilW *Warnings
	nilW.Warn("x", "nothing") // no panic, nothing written
}
