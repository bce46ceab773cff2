package otelbackend_test

import (
	"context"
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// level2State has members OpenTelemetry's TraceState cannot hold (keys
// valid in W3C Trace Context Level 2 only) between members it can.
const level2State = "1foo=1,rojo=2,foo@=3,a@b@c=4,congo=5"

// hopOTel extracts a request with traceparent tp and tracestate ts, starts
// a server span and a client span under it, and returns the client's
// context and the headers injected for the next request.
func hopOTel(t *testing.T, tr *tracing.Tracer, tp, ts string) (context.Context, http.Header) {
	t.Helper()
	in := http.Header{}
	in.Set("traceparent", tp)
	if ts != "" {
		in.Set("tracestate", ts)
	}
	ctx := tr.Extract(context.Background(), tracing.HeaderCarrier(in))
	ctx, srv := tr.Start(ctx, "server", tracing.WithKind(tracing.SpanKindServer))
	t.Cleanup(func() { srv.End() })
	ctx, cl := tr.Start(ctx, "client", tracing.WithKind(tracing.SpanKindClient))
	t.Cleanup(func() { cl.End() })
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	return ctx, out
}

// TestTracestateLevel2Kept: members that OpenTelemetry's TraceState
// refuses (and, with them, the whole list) are carried by the facade and
// sent on in their places; OpenTelemetry's own API sees the members it can
// hold.
func TestTracestateLevel2Kept(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, _ := newMemBackend(t)
	tr := tracing.New(b)
	ctx, out := hopOTel(t, tr, "00-"+w3cTrace+"-"+w3cParent+"-01", level2State)
	if got := out.Get("tracestate"); got != level2State {
		t.Errorf("downstream tracestate %q, want %q", got, level2State)
	}
	if got := tracing.SpanFromContext(ctx).SpanContext().TraceState(); got != level2State {
		t.Errorf("the client span's tracestate %q, want %q", got, level2State)
	}
	if got := trace.SpanContextFromContext(ctx).TraceState().String(); got != "rojo=2,congo=5" {
		t.Errorf("OpenTelemetry's tracestate %q, want the members it can hold", got)
	}
	// The same through the backend's TextMapPropagator, which
	// OpenTelemetry's own instrumentation uses, from a span started with
	// OpenTelemetry's API under the facade's.
	octx, os := b.TracerProvider().Tracer("test").Start(ctx, "otel-child")
	defer os.End()
	c := http.Header{}
	b.TextMapPropagator().Inject(octx, tracing.HeaderCarrier(c))
	if got := c.Get("tracestate"); got != level2State {
		t.Errorf("tracestate injected for an OpenTelemetry span %q, want %q", got, level2State)
	}
}

// stateSampler samples every span and changes the tracestate as a vendor's
// sampler may (OpenTelemetry's consistent-probability samplers do).
type stateSampler struct {
	change func(trace.TraceState) trace.TraceState
}

func (s stateSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
		Tracestate: s.change(trace.SpanContextFromContext(p.ParentContext).TraceState())}
}

func (stateSampler) Description() string { return "stateSampler" }

// TestTracestateMerged: what OpenTelemetry adds, changes or removes in the
// tracestate it holds (here through a sampler) is what goes downstream,
// changed members first as the specification requires, with the members
// it could not hold kept in their places.
func TestTracestateMerged(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(trace.TraceState) trace.TraceState
		want   string
	}{
		{"unchanged", func(ts trace.TraceState) trace.TraceState { return ts }, level2State},
		{"added", func(ts trace.TraceState) trace.TraceState { ts, _ = ts.Insert("ot", "th:8"); return ts }, "ot=th:8," + level2State},
		{"updated", func(ts trace.TraceState) trace.TraceState { ts, _ = ts.Insert("congo", "9"); return ts }, "congo=9,1foo=1,rojo=2,foo@=3,a@b@c=4"},
		{"deleted", func(ts trace.TraceState) trace.TraceState { return ts.Delete("rojo") }, "1foo=1,foo@=3,a@b@c=4,congo=5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			b, _ := newMemBackend(t, otelbackend.WithSampler(stateSampler{c.change}))
			_, out := hopOTel(t, tracing.New(b), "00-"+w3cTrace+"-"+w3cParent+"-01", level2State)
			if got := out.Get("tracestate"); got != c.want {
				t.Errorf("downstream tracestate %q, want %q", got, c.want)
			}
		})
	}
}

// TestRandomFlag: a span that starts a trace has the W3C random trace id
// flag (OpenTelemetry's SDK draws trace ids at random, but sets only the
// sampled flag), in the facade's view, OpenTelemetry's, what is exported
// and what is injected; it is still a root; a continued trace keeps the
// caller's flag, set or not.
func TestRandomFlag(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, exp := newMemBackend(t)
	tr := tracing.New(b)
	random := func(sc tracing.SpanContext) bool { return sc.TraceFlags()&tracing.FlagsRandom != 0 }

	ctx, root := tr.Start(context.Background(), "root")
	if sc := root.SpanContext(); !random(sc) || !sc.IsSampled() || !trace.SpanContextFromContext(ctx).IsRandom() {
		t.Errorf("a new trace: flags %v (OpenTelemetry's %v), want sampled and random", sc.TraceFlags(), trace.SpanContextFromContext(ctx).TraceFlags())
	}
	_, child := tr.Start(ctx, "child")
	_, newRoot := tr.Start(ctx, "new-root", tracing.WithNewRoot())
	if !random(child.SpanContext()) || !random(newRoot.SpanContext()) || newRoot.SpanContext().TraceID() == root.SpanContext().TraceID() {
		t.Errorf("child %v, new root %v: want both random, the new root in a trace of its own", child.SpanContext(), newRoot.SpanContext())
	}
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	if want := root.SpanContext().Traceparent(); out.Get("traceparent") != want || want[53:] != "03" {
		t.Errorf("injected %q, want %q with flags 03", out.Get("traceparent"), want)
	}
	child.End()
	newRoot.End()
	root.End()
	tracingtest.Flush(t, b)
	for _, s := range exp.GetSpans() {
		if s.Name != "child" && s.Parent.IsValid() {
			t.Errorf("exported span %q has parent %v, want none", s.Name, s.Parent)
		}
		if !s.SpanContext.IsRandom() {
			t.Errorf("exported span %q: flags %v, want random", s.Name, s.SpanContext.TraceFlags())
		}
	}

	for _, flags := range []string{"00", "01", "02", "03"} {
		_, out := hopOTel(t, tr, "00-"+w3cTrace+"-"+w3cParent+"-"+flags, "")
		if got := out.Get("traceparent"); len(got) != 55 || got[53:] != flags || got[3:35] != w3cTrace {
			t.Errorf("continued with flags %s: injected %q, want the same trace and flags", flags, got)
		}
	}
}
