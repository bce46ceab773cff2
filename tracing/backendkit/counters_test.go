package backendkit_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

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
			c.AddEnded(4)
			c.AddDropped(backendkit.DropQueueFull, 2)
			c.AddDropped(backendkit.DropAfterShutdown, 1)
		})
	}
	wg.Wait()
	want := tracing.Stats{Ended: 8040, Exported: 8000, Dropped: 24, Pending: 16,
		DroppedBy: tracing.DropCounts{QueueFull: 16, AfterShutdown: 8}}
	if got := c.Stats(); got != want {
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

// TestCountersSettle: what is pending when Shutdown gives up is counted as
// lost at once, the abandoned exports' later outcomes are ignored, and
// spans ending afterwards still count.
func TestCountersSettle(t *testing.T) {
	var c backendkit.Counters
	c.AddEnded(10)
	c.AddExported(3)
	c.AddDropped(backendkit.DropExportFailed, 2)
	c.Settle(backendkit.DropShutdownDeadline)
	c.Settle(backendkit.DropQueueFull) // only the first counts
	want := tracing.Stats{Ended: 10, Exported: 3, Dropped: 7,
		DroppedBy: tracing.DropCounts{ExportFailed: 2, ShutdownDeadline: 5}}
	if got := c.Stats(); got != want {
		t.Fatalf("settled: %+v, want %+v", got, want)
	}
	c.AddExported(4)                              // an abandoned export finally answered
	c.AddDropped(backendkit.DropExportFailed, 1)  // or failed
	c.AddDropped(backendkit.DropAfterShutdown, 1) // a span ended after Shutdown
	want.Ended, want.Dropped, want.DroppedBy.AfterShutdown = 11, 8, 1
	if got := c.Stats(); got != want {
		t.Errorf("after late outcomes: %+v, want %+v", got, want)
	}
	if st := c.Stats(); st.Ended != st.Exported+st.Dropped || st.Dropped != st.DroppedBy.Total() {
		t.Errorf("%+v does not add up", st)
	}
}

func TestCountersExportStats(t *testing.T) {
	var c backendkit.Counters
	c.ObserveExport(time.Millisecond, false)
	c.ObserveExport(7*time.Millisecond, true)
	c.ObserveExport(time.Minute, true)
	s := c.ExportStats()
	last := len(s.Latency) - 1
	if s.Requests != 3 || s.Failed != 2 || s.Latency[0] != 1 || s.Latency[1] != 1 || s.Latency[last] != 1 ||
		s.LatencySum != time.Minute+8*time.Millisecond {
		t.Errorf("ExportStats() = %+v", s)
	}
}

// TestCountersWarnDrops: one line when drops begin, with the counts, and
// no more within WarnInterval however many follow.
func TestCountersWarnDrops(t *testing.T) {
	var buf strings.Builder
	var c backendkit.Counters
	c.AddDropped(backendkit.DropAfterShutdown, 1) // not a problem of the pipeline: silent
	c.WarnDrops(backendkit.NewWarnings("otel", &buf), "http://collector:4318/v1/traces")
	c.AddEnded(1000)
	for range 1000 {
		c.AddDropped(backendkit.DropQueueFull, 1)
	}
	want := "polytrace: otel: spans are being dropped sending to http://collector:4318/v1/traces: 2 dropped so far (queue_full 1, after_shutdown 1), 999 pending; Tracer.Stats counts them\n"
	if got := buf.String(); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	// With the cause of the failures, the one line says it.
	buf.Reset()
	var c2 backendkit.Counters
	c2.WarnDrops(backendkit.NewWarnings("jaeger", &buf), "http://collector:14268/api/traces")
	c2.AddEnded(3)
	c2.NoteExportError(errors.New(`Post "http://collector:14268/api/traces": dial tcp 127.0.0.1:14268: connect: connection refused`))
	c2.AddDropped(backendkit.DropExportFailed, 3)
	want = "polytrace: jaeger: cannot deliver spans to http://collector:14268/api/traces (connection refused): 3 dropped so far (export_failed 3), 0 pending; Tracer.Stats counts them\n"
	if got := buf.String(); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
}
