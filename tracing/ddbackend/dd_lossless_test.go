package ddbackend_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// TestLossless10k: 10,000 spans of one trace (a batch job: a root and its
// children) ended in a tight loop, then Shutdown: all arrive, once each,
// decoded from the payloads sent.
func TestLossless10k(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	const n = 10000
	ctx, root := tr.Start(context.Background(), "job")
	for i := range n - 1 {
		_, sp := tr.Start(ctx, "item", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	root.End()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if got := distinctDD(t, a.Spans()); got != n {
		t.Errorf("agent got %d distinct spans, want %d", got, n)
	}
	if st := tr.Stats(); st != (tracing.Stats{Ended: n, Exported: n}) {
		t.Errorf("stats %+v, want %d ended and exported", st, n)
	}
}

// TestLosslessManyTracesCounted: 10,000 traces of one span each ended in a
// tight loop, then Shutdown. dd-trace-go queues at most 1000 traces (a
// constant of its own) and drops the rest of a burst that outruns its
// encoder, telling no one; the backend counts them: every span either
// arrived or is in Stats.Dropped, none is lost silently.
func TestLosslessManyTracesCounted(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	const n = 10000
	for i := range n {
		_, sp := tr.Start(context.Background(), "request", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := distinctDD(t, a.Spans())
	st := tr.Stats()
	t.Logf("%d of %d arrived; stats %+v", got, n, st)
	if st.Ended != n || int(st.Exported) != got || st.Exported+st.Dropped != n {
		t.Errorf("stats %+v with %d spans received: want %d ended, the received exported, the rest dropped", st, got, n)
	}
}
