package ddbackend_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// refusedURL returns the URL of a port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// hangingAgent accepts connections and never answers.
type hangingAgent struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func newHangingAgent(t *testing.T) *hangingAgent {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingAgent{l: l, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-h.done
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.conns {
			c.Close()
		}
	})
	return h
}

func (h *hangingAgent) accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// promptly runs f and fails the test if it has not returned after a
// generous delay: a deadlock detector, not a performance threshold.
func promptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

func startEndMany(tr *tracing.Tracer, n int) {
	for i := range n {
		ctx, root := tr.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer),
			tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("i", i)))
		_, child := tr.Start(ctx, "child")
		child.End()
		root.End()
	}
}

// TestAgentDown: with nothing listening, spans start and end as usual,
// Shutdown returns, and the lost spans are counted.
func TestAgentDown(t *testing.T) {
	b, err := ddbackend.New(ddbackend.WithAgentURL(refusedURL(t)), withDDLog())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	promptly(t, "Start/End with the agent down", func() { startEndMany(tr, 200) })
	promptly(t, "Shutdown with the agent down", func() {
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	if st := tr.Stats(); st.Ended != 400 || st.Exported != 0 || st.Dropped != 400 {
		t.Errorf("Stats %+v, want 400 ended, none exported, 400 dropped", st)
	}
}

// TestAgentHanging: an agent that accepts connections and never answers
// neither slows spans down nor holds Shutdown past its deadline; the
// requests under way are cancelled, so dd-trace-go's goroutines end
// (TestMain's goleak check fails otherwise).
func TestAgentHanging(t *testing.T) {
	h := newHangingAgent(t)
	// Setup (dd-trace-go asks the agent for /info) is bounded by Open's ctx.
	setup, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var tr *tracing.Tracer
	promptly(t, "Open with the agent hanging", func() {
		var err error
		tr, err = tracing.Open(setup, "datadog", tracing.WithBackendOptions(
			ddbackend.WithAgentURL("http://"+h.l.Addr().String()), withDDLog()))
		if err != nil {
			t.Fatal(err)
		}
	})
	promptly(t, "Start/End with the agent hanging", func() { startEndMany(tr, 200) })

	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelFlush()
	promptly(t, "ForceFlush with the agent hanging", func() {
		// It fails by its deadline, unless the upload had not even begun.
		if err := tr.ForceFlush(flushCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush to a hanging agent: %v, want nil or a deadline error", err)
		}
	})
	if h.accepted() == 0 {
		t.Error("the tracer never connected to the agent")
	}

	ctx, cancelShutdown := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelShutdown()
	promptly(t, "Shutdown with the agent hanging", func() {
		if err := tr.Backend().Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want an error wrapping context.DeadlineExceeded", err)
		}
	})
	// dd-trace-go's Stop finishes once its requests are cancelled.
	promptly(t, "dd-trace-go's Stop after the deadline", func() {
		if err := tr.Backend().Shutdown(context.Background()); err != nil {
			t.Errorf("second Shutdown: %v", err)
		}
	})
	if st := tr.Stats(); st.Ended != 400 || st.Exported != 0 || st.Dropped != 400 {
		t.Errorf("Stats %+v, want 400 ended, 400 dropped", st)
	}
	// A new backend can start once the old one is gone.
	a := newAgent(t, ddtest.Config{})
	shutdown(t, newBackend(t, a))
}

// TestStats: spans delivered and spans ended after Shutdown.
func TestStats(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	startEndMany(tr, 50)
	_, straddling := tr.Start(context.Background(), "straddling")
	shutdown(t, b)
	straddling.End()
	if st := tr.Stats(); st.Ended != 100 || st.Exported != 100 || st.Dropped != 1 {
		t.Errorf("Stats %+v, want 100 ended and exported, 1 dropped", st)
	}
	if n := len(a.Spans()); n != 100 {
		t.Errorf("agent received %d spans", n)
	}
}

// TestUnixSocketAgent: the backend's own transport dials the agent's Unix
// socket for a unix:// agent URL, as dd-trace-go's does.
func TestUnixSocketAgent(t *testing.T) {
	dir, err := os.MkdirTemp("", "ddsock")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	a, err := ddtest.StartUnix(ddtest.Config{}, filepath.Join(dir, "apm.socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ddbackend.New(ddbackend.WithAgentURL("unix://"+filepath.Join(dir, "apm.socket")), withDDLog())
	if err != nil {
		t.Fatal(err)
	}
	if d := b.Summary().Destination; d != "unix://"+filepath.Join(dir, "apm.socket") {
		t.Errorf("destination %q", d)
	}
	_, sp := tracing.New(b).Start(context.Background(), "over-uds")
	sp.End()
	shutdown(t, b)
	if s := ddtest.SpanNamed(t, a.Spans(), "over-uds"); s.Name != "over-uds" {
		t.Error(s)
	}
	if a.Requests()["/info"] != 1 {
		t.Errorf("requests %v", a.Requests())
	}
}
