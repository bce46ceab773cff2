package tracegrpc_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// modes are the ways of instrumenting: the stats handlers and the
// interceptors, over bufconn and over TCP.
var modes = []struct {
	name              string
	tcp, interceptors bool
}{
	{"stats/bufconn", false, false},
	{"stats/tcp", true, false},
	{"interceptors/bufconn", false, true},
	{"interceptors/tcp", true, true},
}

func bg() context.Context { return context.Background() }

// callCtx bounds one call of a test.
func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(bg(), tracegrpctest.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// rig starts a server and client whose both sides trace on e's tracer,
// with the given options added.
func rig(t *testing.T, e *httpkittest.Env, tcp, interceptors bool, srv, cli []tracegrpc.Option) *tracegrpctest.Rig {
	return tracegrpctest.Start(t, tracegrpctest.Config{
		TCP: tcp, Interceptors: interceptors, Tracer: e.Tracer,
		Server: append([]tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}, srv...),
		Client: append([]tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}, cli...),
	})
}

// kindOf returns the only span named name with kind k.
func kindOf(t *testing.T, spans []tracingtest.SpanData, name string, k tracing.SpanKind) tracingtest.SpanData {
	t.Helper()
	var found []tracingtest.SpanData
	for _, s := range spans {
		if s.Name == name && s.Kind == k {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %v spans named %q, want 1: %v", len(found), k, name, httpkittest.Names(spans))
	}
	return found[0]
}

// wantInt fails unless s has the integer attribute key = want.
func wantInt(t *testing.T, e *httpkittest.Env, s tracingtest.SpanData, key string, want int) {
	t.Helper()
	got, ok := s.Attr(key)
	if !ok || !e.Equal(tracing.Int64Value(int64(want)), got) {
		t.Errorf("%s: %v span %q: %s = %v (present %v), want %d", e.Name, s.Kind, s.Name, key, got, ok, want)
	}
}

// wantStr fails unless s has the string attribute key = want.
func wantStr(t *testing.T, e *httpkittest.Env, s tracingtest.SpanData, key, want string) {
	t.Helper()
	got, ok := s.Attr(key)
	if !ok || got.String() != want {
		t.Errorf("%s: %v span %q: %s = %v (present %v), want %q", e.Name, s.Kind, s.Name, key, got, ok, want)
	}
}

// counting wraps a backend and counts how often each span is ended.
type counting struct {
	tracing.Backend
	mu    sync.Mutex
	spans []*countedSpan
}

type countedSpan struct {
	tracing.BackendSpan
	name string
	ends atomic.Int32
}

func (s *countedSpan) End(t time.Time) {
	s.ends.Add(1)
	s.BackendSpan.End(t)
}

func (c *counting) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	ctx, sp := c.Backend.Start(ctx, name, cfg)
	cs := &countedSpan{BackendSpan: sp.Backend(), name: name}
	c.mu.Lock()
	c.spans = append(c.spans, cs)
	c.mu.Unlock()
	return ctx, tracing.NewSpan(cs)
}

// ends returns how often each span was ended.
func (c *counting) ends() map[*countedSpan]int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[*countedSpan]int32{}
	for _, s := range c.spans {
		m[s] = s.ends.Load()
	}
	return m
}
