package httpkittest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// PropagationCase is one request a caller sends to a traced service, with
// what the service must make of its trace headers.
type PropagationCase struct {
	Name string
	// Header lists the request's header fields in order, names as sent
	// (a name given twice is sent as two fields).
	Header [][2]string
	Want   Want
	// Backends, if not empty, limits the case to these backends.
	Backends []string
	// PerBackend gives the outcome where a backend may rightly differ
	// (a vendor adding its own tracestate member, as the specification
	// allows).
	PerBackend map[string]Want
	// Deviations pins, per backend, a documented departure from the
	// specification: the outcome the backend's vendor SDK really has, and
	// why. The case then checks that outcome instead of Want.
	Deviations map[string]Deviation
	// Calls is how many downstream requests the service makes for the
	// request (0 means 1): each is checked against Want, and together
	// they must share the trace and have distinct parent ids.
	Calls int
	// Suite names the test of the public W3C Trace Context test suite
	// (w3c/trace-context test/test.py) that the case reproduces, as
	// "Class.test_name", when it does.
	Suite string
}

// Deviation is a backend's documented departure from a specification.
type Deviation struct {
	Want Want
	Why  string
}

// Want is what a traced service does with a request's trace headers.
type Want struct {
	// Trace and Parent are the caller's ids the server span continues;
	// a zero Trace means a new trace (whose id must differ from every id
	// in NotTrace).
	Trace    tracing.TraceID
	Parent   tracing.SpanID
	NotTrace []tracing.TraceID
	// Unsampled says the caller's sampling decision is "not sampled" and
	// must be respected: nothing sampled is exported, and the downstream
	// traceparent says not sampled.
	Unsampled bool
	// Random says the downstream traceparent carries the random flag.
	Random bool
	// Tracestate is the tracestate the service forwards downstream,
	// besides the backend's own member ("" for none).
	Tracestate string
	// Baggage is the baggage header the service forwards ("" for none,
	// AnyBaggage for any within the limits), compared as a set of
	// members.
	Baggage string
	// Check, if set, checks more of the downstream request's headers.
	Check func(t testing.TB, e *Env, down http.Header, srv tracingtest.SpanData)
}

// Hop is a traced service under test: its handler calls a downstream
// sink through tracehttp's client, so that the test sees both what the
// backend exported and what the service sends on.
type Hop struct {
	Server *Server
	sink   *httptest.Server

	mu   sync.Mutex
	down []http.Header
}

// StartHop serves a.New's router with one route, GET /hop, whose handler
// makes one outgoing request with tracehttp's client on e's tracer.
func StartHop(t testing.TB, a Adapter, e *Env, opts ...httpkit.Option) *Hop {
	h := &Hop{}
	h.sink = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.down = append(h.down, r.Header.Clone())
		h.mu.Unlock()
		_, _ = io.WriteString(w, "down")
	}))
	t.Cleanup(h.sink.Close)
	client := tracehttp.WrapClient(h.sink.Client(), tracehttp.WithTracer(e.Tracer))
	hop := func(w http.ResponseWriter, r *http.Request) {
		sc := tracing.SpanFromContext(r.Context()).SpanContext()
		w.Header().Set("X-Test-Trace-Id", sc.TraceID().String())
		w.Header().Set("X-Test-Span-Id", sc.SpanID().String())
		calls, _ := strconv.Atoi(r.URL.Query().Get("calls"))
		for range max(calls, 1) {
			req, _ := http.NewRequestWithContext(r.Context(), "GET", h.sink.URL+"/down", nil)
			resp, err := client.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		_, _ = io.WriteString(w, "ok")
	}
	opts = append([]httpkit.Option{httpkit.WithTracer(e.Tracer)}, opts...)
	h.Server = StartServer(t, a.New([]Route{{"GET", "/hop", hop}}, opts...))
	t.Cleanup(func() { client.CloseIdleConnections() })
	return h
}

// Send sends a request with the header fields given (names as written) and
// returns the response and the headers the sink received from the
// service. It fails the test unless the request was served normally,
// with one downstream request.
func (h *Hop) Send(t testing.TB, fields [][2]string) (*http.Response, http.Header) {
	t.Helper()
	resp, down, err := h.send(fields, 1)
	if err != nil {
		t.Fatal(err)
	}
	return resp, down[0]
}

// send sends a request whose handler makes calls downstream requests, and
// returns the headers of those.
func (h *Hop) send(fields [][2]string, calls int) (*http.Response, []http.Header, error) {
	calls = max(calls, 1)
	h.mu.Lock()
	n := len(h.down)
	h.mu.Unlock()
	req, err := http.NewRequest("GET", h.Server.URL+"/hop?calls="+strconv.Itoa(calls), nil)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range fields {
		req.Header[f[0]] = append(req.Header[f[0]], f[1]) // not canonicalised: sent as written
	}
	resp, err := h.Server.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || string(body) != "ok" {
		return nil, nil, fmt.Errorf("the request was not served normally: %d %q %v", resp.StatusCode, body, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.down) != n+calls {
		return nil, nil, fmt.Errorf("the service made %d downstream requests, want %d", len(h.down)-n, calls)
	}
	return resp, slices.Clone(h.down[n:]), nil
}

// RunPropagation sends every case to a Hop on each backend (one backend
// instance for all the cases), then checks the exported spans and the
// downstream headers of each. opts configure the middleware.
func RunPropagation(t *testing.T, a Adapter, backends []Backend, cases []PropagationCase, opts ...httpkit.Option) {
	EachOf(t, backends, func(t *testing.T, e *Env) {
		hop := StartHop(t, a, e, opts...)
		type sent struct {
			c    PropagationCase
			resp *http.Response
			down []http.Header
			err  error
		}
		var all []sent
		for _, c := range cases {
			if len(c.Backends) > 0 && !slices.Contains(c.Backends, e.Name) {
				continue
			}
			resp, down, err := hop.send(c.Header, c.Calls)
			all = append(all, sent{c, resp, down, err})
		}
		var unsampled []tracing.SpanID
		for _, s := range all {
			c := s.c
			t.Run(c.Name, func(t *testing.T) {
				if s.err != nil {
					t.Fatal(s.err)
				}
				want := c.Want
				if w, ok := c.PerBackend[e.Name]; ok {
					want = w
				}
				if d, ok := c.Deviations[e.Name]; ok {
					t.Logf("%s departs from the specification here: %s", e.Name, d.Why)
					want = d.Want
				}
				var trace tracing.TraceID
				var parents []tracing.SpanID
				for i, down := range s.down {
					srv, cl, tid := checkHop(t, e, want, s.resp, down)
					if i == 0 {
						trace = tid
					} else if tid != trace {
						t.Errorf("downstream request %d is in trace %s, the first in %s: want one trace", i+1, tid, trace)
					}
					if slices.Contains(parents, cl) {
						t.Errorf("downstream request %d has the parent id %s of an earlier one: want a client span each", i+1, cl)
					}
					parents = append(parents, cl)
					if want.Unsampled {
						unsampled = append(unsampled, srv, cl)
					}
				}
			})
		}
		// Nothing the callers sampled out was exported as sampled (and
		// nothing at all, except where the backend sends unsampled spans
		// for its agent to drop).
		for _, sp := range e.Spans(t, 0) {
			if slices.Contains(unsampled, sp.SpanID) && (sp.Sampled || !e.Map.ExportsUnsampled) {
				t.Errorf("span %q of trace %s, which the caller sampled out, was exported (sampled %v)", sp.Name, sp.TraceID, sp.Sampled)
			}
		}
	})
}

// checkHop checks one downstream request of a request and returns the ids
// of the server and client spans, and the downstream trace id.
func checkHop(t *testing.T, e *Env, want Want, resp *http.Response, down http.Header) (srvID, clID tracing.SpanID, trace tracing.TraceID) {
	t.Helper()
	srvID, _ = tracing.SpanIDFromHex(resp.Header.Get("X-Test-Span-Id"))
	// What the service sends downstream: one valid version 00
	// traceparent (or the backend's configured format), for the client
	// span.
	dp, raw := downstreamContext(t, e, down)
	handlerTrace := resp.Header.Get("X-Test-Trace-Id")
	if dp.TraceID().String() != handlerTrace {
		t.Errorf("downstream trace %s, but the handler's context has trace %s", dp.TraceID(), handlerTrace)
	}
	if want.Trace.IsValid() {
		if dp.TraceID() != want.Trace {
			t.Errorf("downstream trace %s, want the caller's %s continued", dp.TraceID(), want.Trace)
		}
	} else if slices.Contains(want.NotTrace, dp.TraceID()) {
		t.Errorf("downstream trace %s continues a trace context that must be ignored", dp.TraceID())
	}
	if dp.IsSampled() == want.Unsampled {
		t.Errorf("downstream trace context %q: sampled %v, want %v", raw, dp.IsSampled(), !want.Unsampled)
	}
	clID = dp.SpanID()
	// The random flag: as the caller sent it, set or not, when the trace
	// goes on (Level 2, 3.2.2.5.2); on a new trace, set (every backend
	// draws its trace ids at random), unless the format sent on cannot
	// carry it (B3).
	wantRandom := want.Random
	if !want.Trace.IsValid() {
		wantRandom = !e.Map.NoRandomFlag
	}
	if got := dp.TraceFlags()&tracing.FlagsRandom != 0; got != wantRandom {
		t.Errorf("downstream trace context %q: random flag %v, want %v", raw, got, wantRandom)
	}
	checkTracestate(t, e, down, want.Tracestate)
	checkBaggage(t, down, want.Baggage)

	// What the backend exported: the server span continues the caller's
	// trace or starts a new one, and the client span is the one
	// downstream names as its parent.
	var srv tracingtest.SpanData
	if !want.Unsampled || e.Map.ExportsUnsampled {
		srv = e.SpanByID(t, srvID)
		cl := e.SpanByID(t, dp.SpanID())
		if srv.Kind != tracing.SpanKindServer || cl.Kind != tracing.SpanKindClient || cl.ParentID != srv.SpanID || cl.TraceID != srv.TraceID {
			t.Errorf("exported server span %s (%v) and client span %s (%v, parent %s) are not the request's", srv.SpanID, srv.Kind, cl.SpanID, cl.Kind, cl.ParentID)
		}
		if want.Trace.IsValid() {
			if srv.TraceID != want.Trace || srv.ParentID != want.Parent {
				t.Errorf("server span in trace %s with parent %s, want the caller's %s/%s", srv.TraceID, srv.ParentID, want.Trace, want.Parent)
			}
		} else if !srv.IsRoot() || slices.Contains(want.NotTrace, srv.TraceID) {
			t.Errorf("server span in trace %s with parent %s, want a new trace", srv.TraceID, srv.ParentID)
		}
		if srv.Sampled == want.Unsampled {
			t.Errorf("server span sampled %v, want %v", srv.Sampled, !want.Unsampled)
		}
	}
	if want.Check != nil {
		want.Check(t, e, down, srv)
	}
	return srvID, clID, dp.TraceID()
}

// downstreamContext reads the trace context the service sent downstream
// in the backend's format, failing the test unless it is exactly one
// well-formed context.
func downstreamContext(t *testing.T, e *Env, down http.Header) (tracing.SpanContext, string) {
	t.Helper()
	one := func(name string) string {
		v := down.Values(name)
		if len(v) != 1 {
			t.Fatalf("downstream request has %d %s headers, want 1: %q", len(v), name, v)
		}
		return v[0]
	}
	lowerHex := func(s string, n ...int) bool {
		if !slices.Contains(n, len(s)) {
			return false
		}
		for i := 0; i < len(s); i++ {
			if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
				return false
			}
		}
		return true
	}
	build := func(raw, tid, sid string, sampled bool) (tracing.SpanContext, string) {
		if !lowerHex(tid, 16, 32) || !lowerHex(sid, 16) {
			t.Fatalf("downstream %q: ids are not lower-case hex of the right length", raw)
		}
		traceID, _ := tracing.TraceIDFromHex(fmt.Sprintf("%032s", tid))
		spanID, _ := tracing.SpanIDFromHex(sid)
		var f tracing.TraceFlags
		if sampled {
			f = tracing.FlagsSampled
		}
		sc := tracing.NewSpanContext(tracing.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: f})
		if !sc.IsValid() {
			t.Fatalf("downstream %q: invalid ids", raw)
		}
		return sc, raw
	}
	switch e.Map.Inject {
	case "b3":
		raw := one("B3")
		p := strings.Split(raw, "-")
		if len(p) < 3 || len(p) > 4 || p[2] != "0" && p[2] != "1" && p[2] != "d" {
			t.Fatalf("downstream b3 %q is malformed", raw)
		}
		return build(raw, p[0], p[1], p[2] != "0")
	case "b3multi":
		tid, sid, s := one("X-B3-Traceid"), one("X-B3-Spanid"), down.Get("X-B3-Sampled")
		if s != "0" && s != "1" && down.Get("X-B3-Flags") != "1" {
			t.Fatalf("downstream X-B3-Sampled %q", s)
		}
		return build(tid+"/"+sid+"/"+s, tid, sid, s != "0")
	}
	raw := one("Traceparent")
	dp, ok := tracing.ParseTraceparent(raw)
	if !ok || len(raw) != 55 || !strings.HasPrefix(raw, "00-") {
		t.Fatalf("downstream traceparent %q is not a valid version 00 traceparent", raw)
	}
	return dp, raw
}

// checkTracestate checks the downstream tracestate: at most one header,
// well-formed, in canonical form, and, without the backend's own member,
// want.
func checkTracestate(t *testing.T, e *Env, down http.Header, want string) {
	t.Helper()
	tss := down.Values("Tracestate")
	if len(tss) > 1 {
		t.Errorf("downstream request has %d tracestate headers, want at most 1: %q", len(tss), tss)
		return
	}
	got := ""
	if len(tss) == 1 {
		got = tss[0]
		if err := validTracestate(got); err != nil {
			t.Errorf("downstream tracestate (%d bytes) is not well-formed: %v: %.100q", len(got), err, got)
		}
	}
	var others []string
	for m := range strings.SplitSeq(got, ",") {
		if m != "" && (e.Map.TracestateKey == "" || !strings.HasPrefix(m, e.Map.TracestateKey+"=")) {
			others = append(others, m)
		}
	}
	if g := strings.Join(others, ","); g != want {
		t.Errorf("downstream tracestate (without the backend's own member) %.100q, want %.100q", g, want)
	}
}

// validTracestate checks a tracestate as a receiver does: a list of 1 to
// 32 valid members with distinct keys, without white space or empty
// members (what a sender produces).
func validTracestate(s string) error {
	if s == "" {
		return errors.New("empty header")
	}
	parts := strings.Split(s, ",")
	if len(parts) > 32 {
		return fmt.Errorf("%d members", len(parts))
	}
	seen := map[string]bool{}
	for _, m := range parts {
		if tracing.NormalizeTracestate(m) != m || m == "" {
			return fmt.Errorf("malformed member %.60q", m)
		}
		k, _, _ := strings.Cut(m, "=")
		if seen[k] {
			return fmt.Errorf("key %q twice", k)
		}
		seen[k] = true
	}
	return nil
}

// checkBaggage checks the downstream baggage: at most one header, within
// the W3C limits, well-formed, with the members of want (W3C Baggage
// gives their order no meaning, and OpenTelemetry does not keep it).
func checkBaggage(t *testing.T, down http.Header, want string) {
	t.Helper()
	bags := down.Values("Baggage")
	if len(bags) > 1 {
		t.Errorf("downstream request has %d baggage headers, want at most 1", len(bags))
		return
	}
	got := ""
	if len(bags) == 1 {
		got = bags[0]
		b := tracing.ParseBaggage(got)
		if len(got) > tracing.MaxBaggageBytes || b.Len() > tracing.MaxBaggageMembers || tracing.FormatBaggage(b) != got {
			t.Errorf("downstream baggage (%d bytes, %d members) is not well-formed within the limits: %.100q", len(got), b.Len(), got)
		}
	}
	if want == AnyBaggage {
		return
	}
	gm, wm := strings.Split(got, ","), strings.Split(want, ",")
	slices.Sort(gm)
	slices.Sort(wm)
	if !slices.Equal(gm, wm) {
		t.Errorf("downstream baggage %.100q (%d bytes), want %.100q (%d bytes)", got, len(got), want, len(want))
	}
}

// SpanByID returns the exported span with id, flushing the backend and
// waiting (five seconds at most) if it has not been read back yet; it
// fails the test if the span never comes.
func (e *Env) SpanByID(t testing.TB, id tracing.SpanID) tracingtest.SpanData {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, sp := range e.read {
			if sp.SpanID == id {
				return sp
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never exported span %s", e.Name, id)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := e.Tracer.ForceFlush(ctx); err != nil {
			t.Errorf("ForceFlush: %v", err)
		}
		cancel()
		e.read = e.H.Spans(t, len(e.read)+1)
	}
}
