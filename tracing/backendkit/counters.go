package backendkit

import (
	"fmt"
	"sync/atomic"
	"time"

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

// DropReasons are every reason, in order.
var DropReasons = [...]DropReason{DropQueueFull, DropExportFailed, DropTooLarge, DropAfterShutdown, DropShutdownDeadline}

// String returns the reason in snake case ("queue_full", …), as metrics
// label it.
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// Count returns the count of reason r in d.
func (r DropReason) Count(d tracing.DropCounts) uint64 {
	switch r {
	case DropQueueFull:
		return d.QueueFull
	case DropExportFailed:
		return d.ExportFailed
	case DropTooLarge:
		return d.TooLarge
	case DropAfterShutdown:
		return d.AfterShutdown
	case DropShutdownDeadline:
		return d.ShutdownDeadline
	}
	return 0
}

// Counters counts what happens to a backend's spans, for
// tracing.StatsReporter and tracing.ExportReporter: a backend adds to
// them where spans end, are exported and are lost, and where its export
// requests finish, and its Stats and ExportStats methods return theirs.
//
// Every span counted by AddEnded is pending until it is counted by
// AddExported or AddDropped; so Stats().Pending is what the pipeline
// still holds, provided the backend counts each loss where it happens.
// A span that ends after Shutdown is counted by AddDropped(
// DropAfterShutdown, …) alone, which counts it as ended too. When Shutdown gives up at its
// deadline, Settle turns what is still pending into drops at once, and
// later outcomes of the abandoned exports are ignored: Ended = Exported +
// Dropped from then on.
//
// The zero value is ready to use; all methods are safe for concurrent use.
type Counters struct {
	ended    atomic.Uint64
	exported atomic.Uint64
	dropped  [numDropReasons]atomic.Uint64
	// settled: 0 while running; else 1 + the reason pending spans were
	// lost for. ended and the other counts are read in an order that
	// keeps Pending from going negative.
	settled atomic.Uint32

	exports   atomic.Uint64
	failed    atomic.Uint64
	latency   [len(tracing.ExportLatencyBounds) + 1]atomic.Uint64
	latencyNS atomic.Int64

	warn     atomic.Pointer[dropWarning]
	nextWarn atomic.Int64 // unix nanoseconds before which no drop warning is due
	lastErr  atomic.Pointer[string]
}

// NoteExportError records why the last export failed (or why the
// receiver cannot be reached), for the drop warning to say.
func (c *Counters) NoteExportError(err error) {
	if err != nil {
		cause := Cause(err.Error())
		c.lastErr.Store(&cause)
	}
}

// AddEnded counts n recorded spans that ended and were handed to the
// backend's export pipeline (or are dropped at once, counted by
// AddDropped next; not those that end after Shutdown).
func (c *Counters) AddEnded(n uint64) { c.ended.Add(n) }

// AddExported counts n spans the receiver accepted. After Settle it does
// nothing: they were counted as lost.
func (c *Counters) AddExported(n uint64) {
	if c.settled.Load() != 0 {
		return
	}
	c.exported.Add(n)
}

// AddDropped counts n spans lost for reason r. DropAfterShutdown counts
// spans that ended after Shutdown, as ended and dropped at once (not
// counted by AddEnded). After Settle it counts only DropAfterShutdown:
// the others were counted as lost already.
func (c *Counters) AddDropped(r DropReason, n uint64) {
	if r >= numDropReasons {
		r = DropExportFailed
	}
	if r == DropAfterShutdown {
		c.ended.Add(n) // before dropped: see Stats
	} else if c.settled.Load() != 0 {
		return
	}
	c.dropped[r].Add(n)
	if n > 0 && r != DropAfterShutdown && r != DropShutdownDeadline {
		c.warnDrops()
	}
}

// Settle counts every span still pending as lost for reason r
// (DropShutdownDeadline when Shutdown gave up, DropQueueFull when the
// vendor drained and what it never sent was lost in its own queue), now
// and whenever Stats is read later: a span counted by AddEnded later
// still, without its outcome, is lost too. AddExported and AddDropped
// (other than DropAfterShutdown) then do nothing. Only the first call
// counts.
func (c *Counters) Settle(r DropReason) {
	if r >= numDropReasons {
		r = DropShutdownDeadline
	}
	c.settled.CompareAndSwap(0, uint32(r)+1)
}

// Settled reports whether Settle was called.
func (c *Counters) Settled() bool { return c.settled.Load() != 0 }

// Ended returns the number of spans counted by AddEnded.
func (c *Counters) Ended() uint64 { return c.ended.Load() }

// Exported returns the number of spans counted by AddExported.
func (c *Counters) Exported() uint64 { return c.exported.Load() }

// Dropped returns the number of spans counted by AddDropped for reason
// r (what Settle turned into drops aside).
func (c *Counters) Dropped(r DropReason) uint64 {
	if r >= numDropReasons {
		return 0
	}
	return c.dropped[r].Load()
}

// TotalDropped returns the number of spans counted by AddDropped for any
// reason.
func (c *Counters) TotalDropped() uint64 {
	var n uint64
	for i := range c.dropped {
		n += c.dropped[i].Load()
	}
	return n
}

// Stats returns the counts as tracing.Stats, Pending being what was
// ended and has no outcome yet (none once settled).
func (c *Counters) Stats() tracing.Stats {
	// Outcomes first, then Ended: every outcome follows its AddEnded, so
	// Pending cannot be negative.
	var by [numDropReasons]uint64
	var dropped uint64
	for i := range c.dropped {
		by[i] = c.dropped[i].Load()
		dropped += by[i]
	}
	exported := c.exported.Load()
	settled := c.settled.Load()
	ended := c.ended.Load()
	var pending uint64
	if ended > exported+dropped {
		pending = ended - exported - dropped
	} else {
		ended = exported + dropped
	}
	if settled != 0 {
		by[settled-1] += pending
		dropped += pending
		pending = 0
	}
	return tracing.Stats{Ended: ended, Exported: exported, Dropped: dropped, Pending: pending,
		DroppedBy: tracing.DropCounts{QueueFull: by[DropQueueFull], ExportFailed: by[DropExportFailed],
			TooLarge: by[DropTooLarge], AfterShutdown: by[DropAfterShutdown], ShutdownDeadline: by[DropShutdownDeadline]}}
}

// ObserveExport counts an export request that finished after d, failed
// or not.
func (c *Counters) ObserveExport(d time.Duration, failed bool) {
	c.exports.Add(1)
	if failed {
		c.failed.Add(1)
	}
	i := 0
	for i < len(tracing.ExportLatencyBounds) && d > tracing.ExportLatencyBounds[i] {
		i++
	}
	c.latency[i].Add(1)
	c.latencyNS.Add(int64(d))
}

// ExportStats returns the export requests counted by ObserveExport, for
// tracing.ExportReporter.
func (c *Counters) ExportStats() tracing.ExportStats {
	s := tracing.ExportStats{Failed: c.failed.Load(), LatencySum: time.Duration(c.latencyNS.Load())}
	for i := range c.latency {
		s.Latency[i] = c.latency[i].Load()
		s.Requests += s.Latency[i]
	}
	return s
}

// dropWarning is where WarnDrops writes.
type dropWarning struct {
	w    *Warnings
	dest string
}

// WarnDrops makes the counters write a line to w when spans begin to be
// lost (queue full, export failed, too large), and at most once per
// WarnInterval while they still are, with the counts so far:
//
//	polytrace: otel: cannot deliver spans to http://… (connection refused): 12 dropped so far (export_failed 12), 0 pending; Tracer.Stats counts them
//
// with the cause NoteExportError recorded last, if any.
//
// dest says where spans go. A nil w writes nothing.
func (c *Counters) WarnDrops(w *Warnings, dest string) {
	if w == nil {
		c.warn.Store(nil)
		return
	}
	c.warn.Store(&dropWarning{w: w, dest: dest})
}

func (c *Counters) warnDrops() {
	dw := c.warn.Load()
	if dw == nil {
		return
	}
	now := time.Now().UnixNano()
	next := c.nextWarn.Load()
	if now < next || !c.nextWarn.CompareAndSwap(next, now+int64(dw.w.every)) {
		return
	}
	st := c.Stats()
	detail := ""
	for _, r := range DropReasons {
		if n := r.Count(st.DroppedBy); n > 0 {
			if detail != "" {
				detail += ", "
			}
			detail += fmt.Sprintf("%s %d", r, n)
		}
	}
	what := "spans are being dropped"
	if dw.dest != "" {
		what = "spans are being dropped sending to " + dw.dest
	}
	if p := c.lastErr.Load(); p != nil {
		what = "cannot deliver spans (" + *p + ")"
		if dw.dest != "" {
			what = "cannot deliver spans to " + dw.dest + " (" + *p + ")"
		}
	}
	dw.w.Warn("drops", "%s: %d dropped so far (%s), %d pending; Tracer.Stats counts them", what, st.Dropped, detail, st.Pending)
}
