package ddbackend_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestInjectDefaultStyles: datadog, tracecontext and baggage, with the
// facade's baggage written both ways dd-trace-go writes span baggage.
func TestInjectDefaultStyles(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	ctx, sp := tr.Start(bg(), "client", tracing.WithKind(tracing.SpanKindClient))
	defer sp.End()
	bag, _ := tracing.Baggage{}.With("tenant", "acme corp")
	ctx = tracing.ContextWithBaggage(ctx, bag)
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))

	sc := sp.SpanContext()
	want := map[string]string{
		"X-Datadog-Trace-Id":          sc.TraceID().LowDecimal(),
		"X-Datadog-Parent-Id":         sc.SpanID().Decimal(),
		"X-Datadog-Sampling-Priority": "1",
		"Traceparent":                 "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-03", // sampled, random (a new trace)
		"Baggage":                     "tenant=acme%20corp",
		"Ot-Baggage-Tenant":           "acme corp",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if tags := h.Get("X-Datadog-Tags"); !strings.Contains(tags, "_dd.p.tid="+strconv.FormatUint(sc.TraceID().High64(), 16)) {
		t.Errorf("x-datadog-tags %q does not carry the high 64 bits of %s", tags, sc.TraceID())
	}
	if ts := h.Get("Tracestate"); !strings.HasPrefix(ts, "dd=") {
		t.Errorf("tracestate %q", ts)
	}
	for k := range h {
		if lk := strings.ToLower(k); !slices.Contains(b.Fields(), lk) && !strings.HasPrefix(lk, "ot-baggage-") {
			t.Errorf("Inject wrote %s, which Fields %v does not list", k, b.Fields())
		}
	}
	if got := b.Names(); !slices.Equal(got, []string{"datadog", "tracecontext", "baggage"}) {
		t.Errorf("Names %v", got)
	}
}

// TestExtract: Datadog headers (the trace id's high half in
// x-datadog-tags) and W3C headers give a remote span context with the full
// 128-bit trace id; baggage comes from both baggage forms.
func TestExtract(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	tid := tracing.TraceIDFromUint64s(0x6b01fd4300000000, 0x1122334455667788)

	dd := tracing.MapCarrier{
		"x-datadog-trace-id": tid.LowDecimal(), "x-datadog-parent-id": "12345", "x-datadog-sampling-priority": "2",
		"x-datadog-tags": "_dd.p.tid=6b01fd4300000000", "ot-baggage-user": "alice", "baggage": "tenant=acme%20corp;prop=1",
	}
	ctx := tr.Extract(bg(), dd)
	sc := tracing.SpanFromContext(ctx).SpanContext()
	if !sc.IsRemote() || sc.TraceID() != tid || sc.SpanID().Uint64() != 12345 || !sc.IsSampled() {
		t.Errorf("from datadog headers: %v remote=%v, want trace %s span 12345 sampled, remote", sc, sc.IsRemote(), tid)
	}
	bag := tracing.BaggageFromContext(ctx)
	if v, _ := bag.Get("user"); v != "alice" {
		t.Errorf("ot-baggage-user gave %q", v)
	}
	if ms := bag.Members(); !slices.ContainsFunc(ms, func(m tracing.Member) bool {
		return m.Key == "tenant" && m.Value == "acme corp" && m.Properties == "prop=1"
	}) {
		t.Errorf("W3C baggage member lost or changed: %+v", ms)
	}

	// A child continues the remote trace, on the wire too.
	_, child := tr.Start(ctx, "server", tracing.WithKind(tracing.SpanKindServer))
	if c := child.SpanContext(); c.TraceID() != tid || c.IsRemote() {
		t.Errorf("child of the extracted context: %v", c)
	}
	child.End()

	w3c := http.Header{}
	w3c.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w3c.Set("tracestate", "vendor=x")
	sc = tracing.SpanFromContext(tr.Extract(bg(), tracing.HeaderCarrier(w3c))).SpanContext()
	if sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.SpanID().String() != "00f067aa0ba902b7" || !sc.IsRemote() ||
		!strings.Contains(sc.TraceState(), "vendor=x") {
		t.Errorf("from traceparent: %v remote=%v state=%q", sc, sc.IsRemote(), sc.TraceState())
	}

	// Malformed headers start a new trace.
	bad := tracing.MapCarrier{"x-datadog-trace-id": "not-a-number", "traceparent": "00-zz-00-01"}
	if ctx := tr.Extract(bg(), bad); tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Error("malformed headers gave a span context")
	}

	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "server")
	if s.ParentID != 12345 || s.TraceID != tid.Low64() || s.TraceIDHigh != tid.High64() {
		t.Errorf("wire: trace %x-%x parent %d", s.TraceIDHigh, s.TraceID, s.ParentID)
	}
	if s.Metrics["_sampling_priority_v1"] != 2 {
		t.Errorf("the caller's priority 2 was not kept: %v", s.Metrics["_sampling_priority_v1"])
	}
}

// TestPropagationStyles: DD_TRACE_PROPAGATION_STYLE* choose the formats.
func TestPropagationStyles(t *testing.T) {
	t.Setenv("DD_TRACE_PROPAGATION_STYLE_INJECT", "tracecontext")
	t.Setenv("DD_TRACE_PROPAGATION_STYLE_EXTRACT", "datadog,baggage")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	ctx, sp := tr.Start(bg(), "client")
	defer sp.End()
	bag, _ := tracing.Baggage{}.With("k", "v")
	h := http.Header{}
	tr.Inject(tracing.ContextWithBaggage(ctx, bag), tracing.HeaderCarrier(h))
	if h.Get("Traceparent") == "" || len(h) != 2 { // traceparent and tracestate only
		t.Errorf("inject=tracecontext wrote %v", h)
	}
	// Extract reads datadog, not traceparent.
	if sc := tracing.SpanFromContext(tr.Extract(bg(), tracing.HeaderCarrier(h))).SpanContext(); sc.IsValid() {
		t.Errorf("extract=datadog,baggage read traceparent: %v", sc)
	}
	if got := b.Summary().Propagators; !slices.Equal(got, []string{"inject:tracecontext", "extract:datadog+baggage"}) {
		t.Errorf("summary propagators %v", got)
	}
}

// TestBaggageOfDDSpans: baggage set with dd-trace-go's own API on a span
// is propagated together with the facade's.
func TestBaggageOfDDSpans(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	ctx, sp := tr.Start(bg(), "facade")
	defer sp.End()
	ddSpan, ddCtx := v2tracer.StartSpanFromContext(ctx, "dd.native")
	defer ddSpan.Finish()
	ddSpan.SetBaggageItem("from-dd", "1")
	bag, _ := tracing.Baggage{}.With("from-facade", "2")
	h := http.Header{}
	tr.Inject(tracing.ContextWithBaggage(ddCtx, bag), tracing.HeaderCarrier(h))
	got := tracing.ParseBaggage(h.Get("baggage"))
	if v1, _ := got.Get("from-dd"); v1 != "1" {
		t.Errorf("baggage %q lacks the dd span's item", h.Get("baggage"))
	}
	if v2, _ := got.Get("from-facade"); v2 != "2" {
		t.Errorf("baggage %q lacks the facade's item", h.Get("baggage"))
	}
	if h.Get("Ot-Baggage-From-Dd") != "1" || h.Get("Ot-Baggage-From-Facade") != "2" {
		t.Errorf("ot-baggage headers: %v", h)
	}
	// The nearest span is the dd-native one.
	if h.Get("X-Datadog-Parent-Id") != strconv.FormatUint(ddSpan.Context().SpanID(), 10) {
		t.Errorf("injected parent %s, want the dd span %d", h.Get("X-Datadog-Parent-Id"), ddSpan.Context().SpanID())
	}
}

// TestInjectAfterShutdown: without a running tracer, the backend still
// forwards W3C trace context.
func TestInjectAfterShutdown(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	ctx, sp := tr.Start(bg(), "straddling")
	tracingtest.Shutdown(t, b)
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	sp.End()
	if h.Get("traceparent") != sp.SpanContext().Traceparent() {
		t.Errorf("after Shutdown Inject wrote %v, want traceparent %s", h, sp.SpanContext().Traceparent())
	}
	if st := b.Stats(); st.Dropped != 1 {
		t.Errorf("a span ended after Shutdown: Stats %+v, want Dropped 1", st)
	}
}

// TestPropagationAcrossInstances: headers injected by one backend instance
// are extracted by a fresh one after the first was shut down; the server
// span, sent to another agent, is the client span's child.
func TestPropagationAcrossInstances(t *testing.T) {
	a1 := newAgent(t, ddtest.Config{})
	b1 := newBackend(t, a1)
	tr1 := tracing.New(b1)
	ctx, client := tr1.Start(bg(), "client-call", tracing.WithKind(tracing.SpanKindClient))
	bag, _ := tracing.Baggage{}.With("tenant", "acme corp")
	h := http.Header{}
	tr1.Inject(tracing.ContextWithBaggage(ctx, bag), tracing.HeaderCarrier(h))
	client.End()
	tracingtest.Shutdown(t, b1)

	a2 := newAgent(t, ddtest.Config{})
	b2 := newBackend(t, a2)
	tr2 := tracing.New(b2)
	sctx := tr2.Extract(bg(), tracing.HeaderCarrier(h))
	if v, _ := tracing.BaggageFromContext(sctx).Get("tenant"); v != "acme corp" {
		t.Errorf("baggage tenant = %q", v)
	}
	_, server := tr2.Start(sctx, "server-handle", tracing.WithKind(tracing.SpanKindServer))
	server.End()
	tracingtest.Shutdown(t, b2)

	checkRemoteChild(t, ddtest.SpanNamed(t, a1.Spans(), "client-call"), ddtest.SpanNamed(t, a2.Spans(), "server-handle"))
}

func checkRemoteChild(t *testing.T, client, server ddtest.Span) {
	t.Helper()
	if server.TraceID != client.TraceID || server.TraceIDHigh != client.TraceIDHigh || server.TraceIDHigh == 0 {
		t.Errorf("server trace %x-%x, want the client's %x-%x", server.TraceIDHigh, server.TraceID, client.TraceIDHigh, client.TraceID)
	}
	if server.ParentID != client.SpanID {
		t.Errorf("server parent %d, want the client span %d", server.ParentID, client.SpanID)
	}
}

const (
	envChildHeaders = "POLYTRACE_DD_CHILD_HEADERS"
	envChildAgent   = "POLYTRACE_DD_CHILD_AGENT"
)

// TestCrossProcessPropagation runs the server side in another process (this
// test binary, running TestCrossProcessChild), which extracts the headers
// this process injected and sends its span to an agent of this process.
func TestCrossProcessPropagation(t *testing.T) {
	a1 := newAgent(t, ddtest.Config{})
	b1 := newBackend(t, a1)
	tr := tracing.New(b1)
	ctx, client := tr.Start(bg(), "client-call", tracing.WithKind(tracing.SpanKindClient))
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	client.End()
	headers, _ := json.Marshal(h)

	a2 := newAgent(t, ddtest.Config{})
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrossProcessChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildHeaders+"="+string(headers), envChildAgent+"="+a2.URL())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	tracingtest.Shutdown(t, b1)
	checkRemoteChild(t, ddtest.SpanNamed(t, a1.Spans(), "client-call"), ddtest.SpanNamed(t, a2.Spans(), "server-handle"))
}

// TestCrossProcessChild is the other process of TestCrossProcessPropagation.
func TestCrossProcessChild(t *testing.T) {
	raw, agent := os.Getenv(envChildHeaders), os.Getenv(envChildAgent)
	if raw == "" || agent == "" {
		t.Skip("runs only as the child process of TestCrossProcessPropagation")
	}
	var h http.Header
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		t.Fatal(err)
	}
	b, err := ddbackend.New(ddbackend.WithAgentURL(agent))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	ctx := tr.Extract(bg(), tracing.HeaderCarrier(h))
	_, server := tr.Start(ctx, "server-handle", tracing.WithKind(tracing.SpanKindServer))
	server.End()
	tracingtest.Shutdown(t, b)
}

// TestForeignParent: a span context that did not come from this backend
// (here from the facade's own W3C propagator) is continued with its
// sampling decision and tracestate.
func TestForeignParent(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	for _, flags := range []string{"01", "00"} {
		h := tracing.MapCarrier{
			"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags,
			"tracestate":  "vendor=x",
		}
		ctx := tracing.TraceContext{}.Extract(bg(), h)
		ctx, sp := tr.Start(ctx, "child-of-foreign-"+flags)
		sc := sp.SpanContext()
		if sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.IsSampled() != (flags == "01") {
			t.Errorf("flags %s: child %v sampled=%v", flags, sc, sc.IsSampled())
		}
		out := tracing.MapCarrier{}
		tr.Inject(ctx, out)
		if !strings.HasPrefix(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-"+sc.SpanID().String()) ||
			!strings.Contains(out["tracestate"], "vendor=x") {
			t.Errorf("flags %s: injected %v", flags, out)
		}
		sp.End()
	}
	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "child-of-foreign-01")
	if s.ParentID != 0x00f067aa0ba902b7 || s.TraceIDHigh != 0x4bf92f3577b34da6 || s.TraceID != 0xa3ce929d0e0e4736 {
		t.Errorf("wire: trace %x-%x parent %x", s.TraceIDHigh, s.TraceID, s.ParentID)
	}
}

// TestOTELPropagators: without DD_TRACE_PROPAGATION_STYLE*, dd-trace-go
// maps OTEL_PROPAGATORS (ignoring what it does not know, such as
// baggage), and so does the backend's view of it.
func TestOTELPropagators(t *testing.T) {
	t.Setenv("OTEL_PROPAGATORS", "b3, tracecontext, baggage")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	if got := b.Names(); !slices.Equal(got, []string{"b3 single header", "tracecontext"}) {
		t.Errorf("Names %v", got)
	}
	ctx, sp := tracing.New(b).Start(bg(), "x")
	defer sp.End()
	h := tracing.MapCarrier{}
	tracing.New(b).Inject(ctx, h)
	if h["b3"] == "" || h["traceparent"] == "" || h["x-datadog-trace-id"] != "" {
		t.Errorf("injected %v", h)
	}
}
