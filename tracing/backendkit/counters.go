package backendkit

import (
	"sync/atomic"

	"github.com/polytrace/polytrace/tracing"
)

// DropReason says why a span was lost.
type DropReason uint8

// Why spans are lost.
const (
	// DropQueueFull: the export queue was full when the span ended.
	DropQueueFull DropReason = iota
	// DropExportFailed: the export that carried the span failed or timed
	// out (and its retries, if any).
	DropExportFailed
	// DropTooLarge: the span, or the payload it was in, was larger than
	// the transport or the receiver takes.
	DropTooLarge
	// DropAfterShutdown: the span ended after Shutdown.
	DropAfterShutdown
	// DropShutdownDeadline: Shutdown's (or ForceFlush's) deadline came
	// while the span still waited in a queue or an export.
	DropShutdownDeadline

	numDropReasons
)

var dropReasonNames = [numDropReasons]string{"queue_full", "export_failed", "too_large", "after_shutdown", "shutdown_deadline"}

// String returns the reason in snake case ("queue_full", …), as metrics
// label it.
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// Counters counts what happens to a backend's spans, for
// tracing.StatsReporter: a backend adds to them where spans end, are
// exported and are lost, and its Stats method returns Counters.Stats. The
// zero value is ready to use; all methods are safe for concurrent use.
type Counters struct {
	ended    atomic.Uint64
	exported atomic.Uint64
	dropped  [numDropReasons]atomic.Uint64
}

// AddEnded counts n recorded spans that ended and were handed to the
// backend's export pipeline.
func (c *Counters) AddEnded(n uint64) { c.ended.Add(n) }

// AddExported counts n spans the receiver accepted.
func (c *Counters) AddExported(n uint64) { c.exported.Add(n) }

// AddDropped counts n spans lost for reason r.
func (c *Counters) AddDropped(r DropReason, n uint64) {
	if r >= numDropReasons {
		r = DropExportFailed
	}
	c.dropped[r].Add(n)
}

// Ended returns the number of spans counted by AddEnded.
func (c *Counters) Ended() uint64 { return c.ended.Load() }

// Exported returns the number of spans counted by AddExported.
func (c *Counters) Exported() uint64 { return c.exported.Load() }

// Dropped returns the number of spans lost for reason r.
func (c *Counters) Dropped(r DropReason) uint64 {
	if r >= numDropReasons {
		return 0
	}
	return c.dropped[r].Load()
}

// TotalDropped returns the number of spans lost for any reason.
func (c *Counters) TotalDropped() uint64 {
	var n uint64
	for i := range c.dropped {
		n += c.dropped[i].Load()
	}
	return n
}

// Stats returns the counts as tracing.Stats.
func (c *Counters) Stats() tracing.Stats {
	return tracing.Stats{Ended: c.Ended(), Exported: c.Exported(), Dropped: c.TotalDropped()}
}
