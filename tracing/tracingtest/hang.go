package tracingtest

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// faultRestart: the collector restarts in the middle of a stream of
// exports (a Proxy drops every connection and refuses new ones for a
// moment, then listens again). The spans flushed before arrive; the
// application is never blocked; the spans that end once the collector is
// back arrive; and every span is accounted for when Shutdown returns:
// Ended = Exported + Dropped, nothing pending, and the receiver kept at
// least what Stats says was exported (it may keep some twice: a request
// cut by the restart and sent again).
func faultRestart(t *testing.T, rig Rig) {
	if rig.Unacknowledged {
		t.Skip("restart: the transport gets no answer (UDP): a restart is invisible to it")
	}
	s := Setup{Proxy: StartProxy(t, ProxyPass), Context: context.Background()}
	h := rig.start(t, s)
	tr := tracing.New(h.Backend)
	end := func(name string, n int) {
		for i := range n {
			_, sp := tr.Start(context.Background(), name, tracing.WithAttrs(tracing.Int("i", i)))
			sp.End()
		}
	}
	const before, during, after = 200, 2000, 200
	end("before", before)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush with a healthy collector: %v", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { defer close(done); end("during", during) })
	s.Proxy.Restart(t, 200*time.Millisecond)
	Guard(t, done, "Start/End blocked while the collector restarted")
	wg.Wait()
	end("after", after)
	shutdown(t, tr)

	const n = before + during + after
	st := tr.Stats()
	if st.Ended != n || st.Exported+st.Dropped != n || st.Pending != 0 || st.Dropped != st.DroppedBy.Total() {
		t.Errorf("stats %+v: want %d ended = exported + dropped, none pending", st, n)
	}
	got := h.Spans(t, int(st.Exported))
	ids := map[tracing.SpanID]bool{}
	for _, d := range got {
		ids[d.SpanID] = true
	}
	if st.Exported > uint64(len(ids)) {
		t.Errorf("stats %+v, but %d distinct spans arrived: exported more than arrived", st, len(ids))
	}
	if c := len(Named(got, "before")); c < before {
		t.Errorf("%d of the %d spans flushed before the restart arrived", c, before)
	}
	if c := distinct(t, dedupe(Named(got, "after"))); c != after {
		t.Errorf("%d of the %d spans ended once the collector was back arrived", c, after)
	}
	t.Logf("restart: stats %+v, %d distinct spans received", st, len(ids))
}

// dedupe keeps one of each span id.
func dedupe(spans []SpanData) []SpanData {
	seen := map[tracing.SpanID]bool{}
	var out []SpanData
	for _, s := range spans {
		if !seen[s.SpanID] {
			seen[s.SpanID] = true
			out = append(out, s)
		}
	}
	return out
}

// hangBurst is how many one-span traces faultHangBurst ends.
const hangBurst = 60000

// faultHangBurst ends 60,000 one-span traces in a tight loop against a
// collector that accepts connections and never answers (a Blackhole),
// in three thirds, and checks, with the backend's defaults:
//
//   - the application is never blocked;
//   - while running, Ended = Exported + Dropped + Pending, and (with a
//     span queue, Rig.Queue) the spans lost are counted as they are lost:
//     Pending is at most the queue plus the export under way
//     (Rig.InFlight), so Dropped is at least ended - queue - in flight;
//   - memory is bounded: the live heap grows by less in the second or
//     the third third than half of what it grew in the first, plus 8 MB
//     (the queue fills in the first; a pipeline that kept every span
//     would grow as much again in both; a vendor's buffer of a few MB,
//     such as dd-trace-go's payload, may land in either), and by less
//     than 256 MB in all;
//   - when Shutdown gives up at its deadline, Ended = Exported + Dropped
//     at once, nothing pending.
func faultHangBurst(t *testing.T, rig Rig) {
	if rig.Unacknowledged {
		t.Skip("hang-burst: the transport gets no answer (UDP): nothing can hang")
	}
	bh := StartBlackhole(t)
	setup, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	h := rig.start(t, Setup{Blackhole: bh, Context: setup})
	tr := tracing.New(h.Backend)
	third := func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range hangBurst / 3 {
				_, sp := tr.Start(context.Background(), "burst")
				sp.End()
			}
		}()
		Guard(t, done, "Start/End blocked on a collector that never answers")
	}
	h0 := liveHeap()
	third()
	h1 := liveHeap()
	third()
	h2 := liveHeap()
	third()
	h3 := liveHeap()
	st := tr.Stats()
	diff := func(a, b uint64) float64 { return (float64(b) - float64(a)) / (1 << 20) }
	t.Logf("hang-burst: live stats %+v; live heap %.1f MB, then %+.1f MB, %+.1f MB, %+.1f MB", st, mb(h0), diff(h0, h1), diff(h1, h2), diff(h2, h3))
	if st.Ended != hangBurst || st.Exported != 0 || st.Ended != st.Exported+st.Dropped+st.Pending || st.Dropped != st.DroppedBy.Total() {
		t.Errorf("live stats %+v: want %d ended = dropped (by reason) + pending, none exported", st, hangBurst)
	}
	switch {
	case rig.Queue > 0:
		if limit := uint64(rig.Queue + rig.InFlight); st.Pending > limit {
			t.Errorf("live stats %+v: %d pending, want at most the queue (%d) and the export under way (%d): the rest counted as dropped as it is lost",
				st, st.Pending, rig.Queue, rig.InFlight)
		}
	default:
		t.Logf("hang-burst: the backend's queue is its vendor's (Rig.Queue is 0): the live bound on Pending is not checked")
	}
	grow := func(a, b uint64) uint64 { return b - min(a, b) }
	if grow1, later := grow(h0, h1), min(grow(h1, h2), grow(h2, h3)); later > 8<<20+grow1/2 || grow(h0, h3) > 256<<20 {
		t.Errorf("live heap grew by %.1f MB in the first %d spans and by %.1f MB and %.1f MB in the next thirds: the pipeline's memory is not bounded",
			mb(grow1), hangBurst/3, mb(grow(h1, h2)), mb(grow(h2, h3)))
	}
	_ = ShutdownWithin(t, tr.Shutdown, 100*time.Millisecond)
	if s := tr.Stats(); s.Ended != hangBurst || s.Exported+s.Dropped != hangBurst || s.Pending != 0 || s.Dropped != s.DroppedBy.Total() {
		t.Errorf("stats %+v as Shutdown returned: want %d ended = dropped, none pending", s, hangBurst)
	}
}

// liveHeap returns the bytes of the live heap, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
