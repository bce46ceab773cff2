package ddbackend_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// burst ends 1000 spans: 100 traces of a root and 9 children (dd-trace-go
// queues whole traces, 1000 at most).
func burst(tr *tracing.Tracer) {
	for i := range 100 {
		ctx, root := tr.Start(context.Background(), "burst", tracing.WithAttrs(tracing.Int("i", i)))
		for range 9 {
			_, c := tr.Start(ctx, "burst.child")
			c.SetAttrs(tracing.String("k", "v"))
			c.End()
		}
		root.End()
	}
}

// TestAgentFaults runs a burst of spans against agents that misbehave,
// with the backend's defaults (the agent-down and never-reading cases are
// TestAgentDown and TestAgentHanging):
//
//   - 1000 Start/End complete while the agent holds the first upload
//     (ordering, not timing: it has not answered when the burst is over);
//   - Shutdown returns by its context's deadline when the agent never
//     answers, and delivers everything when it recovers;
//   - Stats accounts for every span: Ended = Exported + Dropped, Exported
//     being what the agent kept and Dropped what it refused;
//   - nothing leaks (TestMain's goleak check).
func TestAgentFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      ddtest.Config
		release  bool // the agent holds uploads until the burst is over, then answers
		delivers bool
	}{
		{name: "slow", release: true, delivers: true},
		{name: "never-answers"},
		{name: "500", cfg: ddtest.Config{TraceStatus: http.StatusInternalServerError}},
		{name: "503", cfg: ddtest.Config{TraceStatus: http.StatusServiceUnavailable}},
		{name: "429", cfg: ddtest.Config{TraceStatus: http.StatusTooManyRequests}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hold := make(chan struct{})
			cfg := tc.cfg
			if tc.release || tc.name == "never-answers" {
				cfg.Hold = hold
			}
			a := newAgent(t, cfg)
			defer func() {
				select {
				case <-hold:
				default:
					close(hold)
				}
			}()
			b := newBackend(t, a)
			tr := tracing.New(b)

			_, first := tr.Start(context.Background(), "first")
			first.End()
			flushCtx, cancelFlush := context.WithTimeout(context.Background(), time.Minute)
			defer cancelFlush()
			flushed := make(chan error, 1)
			go func() { flushed <- tr.ForceFlush(flushCtx) }()
			if !a.WaitUploads(1, 30*time.Second) {
				t.Fatal("the tracer never uploaded to the agent")
			}

			done := make(chan struct{})
			go func() { defer close(done); burst(tr) }()
			tracingtest.Guard(t, done, "Start/End blocked on a misbehaving agent")
			if cfg.Hold != nil {
				select {
				case err := <-flushed:
					t.Fatalf("the first upload finished (%v) while the agent held it", err)
				default: // still held: the burst did not wait for it
				}
			}

			if tc.delivers {
				close(hold)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := tr.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown after the agent recovered: %v", err)
				}
				<-flushed
				if n := distinctDD(t, a.Spans()); n != 1001 {
					t.Errorf("agent got %d distinct spans, want 1001", n)
				}
				if st := tr.Stats(); st != (tracing.Stats{Ended: 1001, Exported: 1001}) {
					t.Errorf("stats %+v, want 1001 ended and exported", st)
				}
				return
			}

			if err := tracingtest.ShutdownWithin(t, tr.Shutdown, 250*time.Millisecond); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown: %v, want nil or the deadline error", err)
			}
			<-flushed
			// dd-trace-go's Stop finishes once its requests are cancelled.
			tracingtest.WaitFor(t, "every span to be accounted for", func() bool {
				s := b.Stats()
				return s.Ended == 1001 && s.Exported+s.Dropped == 1001
			})
			if st := b.Stats(); int(st.Exported) != len(a.Spans()) || st.Exported != 0 {
				t.Errorf("stats %+v, but the agent kept %d spans (refused %d)", st, len(a.Spans()), a.Rejected())
			}
		})
	}
}

// distinctDD returns how many distinct span ids spans hold, failing t if
// one comes twice.
func distinctDD(t *testing.T, spans []ddtest.Span) int {
	t.Helper()
	seen := map[uint64]bool{}
	for _, s := range spans {
		if seen[s.SpanID] {
			t.Errorf("span %d (%s) sent twice", s.SpanID, s.Name)
		}
		seen[s.SpanID] = true
	}
	return len(seen)
}
