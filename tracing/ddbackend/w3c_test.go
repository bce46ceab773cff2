package ddbackend_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// hop serves tracehttp's handler on tr; the handler calls a sink through
// tracehttp's client. send returns the headers the sink received for a
// request with the given header fields.
func hop(t *testing.T, tr *tracing.Tracer) (send func(fields ...[2]string) http.Header) {
	t.Helper()
	downs := make(chan http.Header, 1)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { downs <- r.Header.Clone() }))
	t.Cleanup(sink.Close)
	client := tracehttp.WrapClient(sink.Client(), tracehttp.WithTracer(tr))
	srv := httptest.NewServer(tracehttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", sink.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}), tracehttp.WithTracer(tr)))
	t.Cleanup(srv.Close)
	return func(fields ...[2]string) http.Header {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		for _, f := range fields {
			req.Header[f[0]] = append(req.Header[f[0]], f[1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return <-downs
	}
}

const (
	tpRandom   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
	tpUnsamp   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02"
	tpPlain    = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traceIDHex = "4bf92f3577b34da6a3ce929d0e0e4736"
)

// TestDisabledPassesContextOn: with DD_TRACE_ENABLED=false, or
// OTEL_TRACES_EXPORTER=none (which dd-trace-go reads the same way), the
// backend records nothing, and a service behind tracehttp passes the
// incoming W3C trace context on as it came, as the "none" backend does:
// the same traceparent (flags, random included), the tracestate as
// ParseTraceState reads it, the baggage; switching tracing off in one
// service does not cut the traces of the services behind it.
func TestDisabledPassesContextOn(t *testing.T) {
	for _, env := range [][2]string{{"DD_TRACE_ENABLED", "false"}, {"OTEL_TRACES_EXPORTER", "none"}} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			a := newAgent(t, ddtest.Config{})
			b := newBackend(t, a)
			tr := tracing.New(b)
			if s := tr.Summary(); !strings.HasPrefix(s.Sampler, "nothing") {
				t.Fatalf("backend not disabled: sampler %q", s.Sampler)
			}
			send := hop(t, tr)
			for _, c := range []struct {
				name   string
				fields [][2]string
				want   map[string]string // downstream headers ("" absent)
			}{
				{"sampled random with tracestate and baggage",
					[][2]string{{"traceparent", tpRandom}, {"tracestate", "foo=1,bar@=2,1k=3"}, {"baggage", "user=alice"}},
					map[string]string{"Traceparent": tpRandom, "Tracestate": "foo=1,bar@=2,1k=3", "Baggage": "user=alice"}},
				{"unsampled random",
					[][2]string{{"traceparent", tpUnsamp}, {"tracestate", "dd=s:-1;o:rum"}},
					map[string]string{"Traceparent": tpUnsamp, "Tracestate": "dd=s:-1;o:rum"}},
				{"not random",
					[][2]string{{"traceparent", tpPlain}},
					map[string]string{"Traceparent": tpPlain, "Tracestate": ""}},
				{"tracestate joined, repeated key kept once",
					[][2]string{{"traceparent", tpPlain}, {"tracestate", "foo=1"}, {"tracestate", "foo=2,bar=3"}},
					map[string]string{"Traceparent": tpPlain, "Tracestate": "foo=1,bar=3"}},
				{"malformed tracestate dropped",
					[][2]string{{"traceparent", tpPlain}, {"tracestate", "@foo=1,bar=2"}},
					map[string]string{"Traceparent": tpPlain, "Tracestate": ""}},
				{"no trace context", nil, map[string]string{"Traceparent": "", "Tracestate": ""}},
				{"invalid traceparent", [][2]string{{"traceparent", "00-" + traceIDHex + "-0000000000000000-01"}, {"tracestate", "foo=1"}},
					map[string]string{"Traceparent": "", "Tracestate": ""}},
			} {
				t.Run(c.name, func(t *testing.T) {
					down := send(c.fields...)
					for k, want := range c.want {
						if got := strings.Join(down.Values(k), "|"); got != want {
							t.Errorf("downstream %s %q, want %q", k, got, want)
						}
					}
				})
			}
			_ = b.ForceFlush(bg())
			if n := len(a.Spans()); n != 0 {
				t.Errorf("%d spans sent while disabled", n)
			}
		})
	}
}

// TestTracestatePreserved: the backend forwards the other vendors'
// tracestate members as the W3C Level 2 rules read them (Level 2 keys, a
// repeated key kept once), in their order, after its own dd member, which
// replaces the caller's; an invalid tracestate is not forwarded. The
// traceparent keeps the caller's random flag, and sets it on a new trace.
func TestTracestatePreserved(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	send := hop(t, tr)
	for _, c := range []struct {
		name      string
		fields    [][2]string
		wantState string // the members after dd's
		random    bool
	}{
		{"members kept in order", [][2]string{{"traceparent", tpRandom}, {"tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}},
			"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", true},
		{"caller's dd member replaced", [][2]string{{"traceparent", tpPlain}, {"tracestate", "rojo=1,dd=s:2;o:rum,congo=2"}},
			"rojo=1,congo=2", false},
		{"repeated keys", [][2]string{{"traceparent", tpPlain}, {"tracestate", "foo=1,foo=2"}, {"tracestate", "bar=1,foo=3"}},
			"foo=1,bar=1", false},
		{"level 2 keys", [][2]string{{"traceparent", tpRandom}, {"tracestate", "1foo=1,foo@=2,a@@b=3,a@b@c=4," + strings.Repeat("t", 242) + "@v=5"}},
			"1foo=1,foo@=2,a@@b=3,a@b@c=4," + strings.Repeat("t", 242) + "@v=5", true},
		{"malformed", [][2]string{{"traceparent", tpRandom}, {"tracestate", "rojo=1,@foo=2"}}, "", true},
		{"33 members", [][2]string{{"traceparent", tpRandom}, {"tracestate", manyMembers(33)}}, "", true},
		{"32 members: dd's in, the rightmost out", [][2]string{{"traceparent", tpRandom}, {"tracestate", manyMembers(32)}}, manyMembers(31), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			down := send(c.fields...)
			tp, ok := tracing.ParseTraceparent(down.Get("traceparent"))
			if !ok || tp.TraceID().String() != traceIDHex {
				t.Fatalf("downstream traceparent %q does not continue the trace", down.Get("traceparent"))
			}
			if got := tp.TraceFlags()&tracing.FlagsRandom != 0; got != c.random {
				t.Errorf("downstream traceparent %q: random flag %v, want %v", down.Get("traceparent"), got, c.random)
			}
			ts := down.Values("tracestate")
			if len(ts) != 1 || !strings.HasPrefix(ts[0], "dd=") || tracing.NormalizeTracestate(ts[0]) != ts[0] {
				t.Fatalf("downstream tracestate %q: want one well-formed list, dd's member first", ts)
			}
			_, rest, _ := strings.Cut(ts[0], ",")
			if !strings.Contains(ts[0], ",") {
				rest = ""
			}
			if rest != c.wantState {
				t.Errorf("downstream tracestate after dd's member %q, want %q", rest, c.wantState)
			}
		})
	}
	// A new trace: the random flag set.
	down := send()
	if tp, ok := tracing.ParseTraceparent(down.Get("traceparent")); !ok || tp.TraceFlags() != tracing.FlagsSampled|tracing.FlagsRandom {
		t.Errorf("new trace: downstream traceparent %q, want flags 03", down.Get("traceparent"))
	}
}

// manyMembers returns a tracestate of n members m00=v, m01=v, ….
func manyMembers(n int) string {
	m := make([]string, n)
	for i := range m {
		m[i] = fmt.Sprintf("m%02d=v", i)
	}
	return strings.Join(m, ",")
}
