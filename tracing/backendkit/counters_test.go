package backendkit_test

import (
	"sync"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

func TestCounters(t *testing.T) {
	var c backendkit.Counters
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.AddEnded(1)
				c.AddExported(1)
			}
			c.AddDropped(backendkit.DropQueueFull, 2)
			c.AddDropped(backendkit.DropAfterShutdown, 1)
		})
	}
	wg.Wait()
	if got, want := c.Stats(), (tracing.Stats{Ended: 8000, Exported: 8000, Dropped: 24}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if c.Dropped(backendkit.DropQueueFull) != 16 || c.Dropped(backendkit.DropAfterShutdown) != 8 || c.Dropped(backendkit.DropTooLarge) != 0 {
		t.Errorf("by reason: queue %d, after shutdown %d, too large %d", c.Dropped(backendkit.DropQueueFull),
			c.Dropped(backendkit.DropAfterShutdown), c.Dropped(backendkit.DropTooLarge))
	}
	if s := backendkit.DropShutdownDeadline.String(); s != "shutdown_deadline" {
		t.Errorf("DropShutdownDeadline.String() = %q", s)
	}
}

func TestOptions(t *testing.T) {
	type optA func(*int)
	type optB func(*string)
	var a optA = func(n *int) { *n++ }
	s := tracing.Settings{Extra: []any{a, optB(func(*string) {}), nil, optA(nil), a}}
	got := backendkit.Options[optA](s)
	if len(got) != 3 {
		t.Fatalf("Options picked %d, want the 3 optA values", len(got))
	}
	n := 0
	backendkit.Apply(&n, got) // the nil one is skipped
	if n != 2 {
		t.Errorf("Apply ran %d options, want 2", n)
	}
}

func TestStripURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com/notes?token=s3cr3t#frag": "https://api.example.com/notes",
		"http://user:pass@host:8080/path?q=1":             "http://host:8080/path",
		"/relative/path?x=y":                              "/relative/path",
		"http://host/a@b":                                 "http://host/a@b",
		"":                                                "",
	} {
		if got := backendkit.StripURL(in); got != want {
			t.Errorf("StripURL(%q) = %q, want %q", in, got, want)
		}
	}
}
