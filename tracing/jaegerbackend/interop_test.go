package jaegerbackend_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
)

// TestOpenTracingFindsFacadeSpan: opentracing.SpanFromContext returns the
// jaeger span behind a facade span, also after tracing.ContextWithSpan.
func TestOpenTracingFindsFacadeSpan(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	ctx, sp := tr.Start(context.Background(), "facade")
	defer sp.End()
	for _, c := range []context.Context{ctx, tracing.ContextWithSpan(context.Background(), sp)} {
		js, ok := opentracing.SpanFromContext(c).(*jaeger.Span)
		if !ok {
			t.Fatalf("opentracing.SpanFromContext = %T, want *jaeger.Span", opentracing.SpanFromContext(c))
		}
		jc := js.SpanContext()
		sc := sp.SpanContext()
		if jc.TraceID().High != sc.TraceID().High64() || jc.TraceID().Low != sc.TraceID().Low64() || uint64(jc.SpanID()) != sc.SpanID().Uint64() {
			t.Errorf("jaeger span %v is not the facade span %v", jc, sc)
		}
		if js != jaegerbackend.Jaeger(sp) {
			t.Error("Jaeger(span) differs from the span in the context")
		}
	}
}

// TestNestingWithJaegerTracer: code holding the jaeger tracer itself
// (OpenTracingTracer) and facade code nest under each other both ways
// through contexts, and report to the same place.
func TestNestingWithJaegerTracer(t *testing.T) {
	b, a := newAgentBackend(t, nil)
	tr := tracing.New(b)
	ot := b.OpenTracingTracer()

	ctx, root := tr.Start(context.Background(), "facade-root", tracing.WithKind(tracing.SpanKindServer))
	legacy, lctx := opentracing.StartSpanFromContextWithTracer(ctx, ot, "legacy")
	ictx, inner := tr.Start(lctx, "facade-inner")
	legacy2, l2ctx := opentracing.StartSpanFromContextWithTracer(ictx, ot, "legacy-inner")
	_, leaf := tr.Start(l2ctx, "facade-leaf")
	if got := tracing.SpanFromContext(l2ctx).SpanContext(); got != inner.SpanContext() {
		// A raw jaeger span is not a facade span: the facade still
		// reports the innermost facade span, while Start nests under
		// the jaeger span.
		t.Errorf("tracing.SpanFromContext = %v, want the facade span %v", got, inner.SpanContext())
	}
	leaf.End()
	legacy2.Finish()
	inner.End()
	legacy.Finish()
	root.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := a.SpanData(t, 5, wait)
	byName := map[string]int{}
	for i, s := range got {
		byName[s.Name] = i
	}
	chain := []string{"facade-root", "legacy", "facade-inner", "legacy-inner", "facade-leaf"}
	for i := 1; i < len(chain); i++ {
		p, c := got[byName[chain[i-1]]], got[byName[chain[i]]]
		if c.ParentID != p.SpanID || c.TraceID != p.TraceID {
			t.Errorf("%s: parent %s, want %s (%s)", c.Name, c.ParentID, p.SpanID, p.Name)
		}
	}
	if len(got) != 5 {
		t.Errorf("got %d spans, want 5", len(got))
	}
}

// TestContextWithOpenTracingParent is what otshim uses for references to
// jaeger span contexts.
func TestContextWithOpenTracingParent(t *testing.T) {
	b, a := newAgentBackend(t, nil)
	tr := tracing.New(b)
	raw := b.OpenTracingTracer().StartSpan("raw")
	ctx, ok := b.ContextWithOpenTracingParent(context.Background(), raw.Context())
	if !ok {
		t.Fatal("a jaeger span context was not accepted")
	}
	if _, ok := b.ContextWithOpenTracingParent(context.Background(), opentracing.NoopTracer{}.StartSpan("x").Context()); ok {
		t.Error("a foreign span context was accepted")
	}
	_, child := tr.Start(ctx, "child")
	child.End()
	raw.Finish()
	_ = tr.Shutdown(context.Background())
	got := a.SpanData(t, 2, wait)
	var r, c int
	for i, s := range got {
		if s.Name == "raw" {
			r = i
		} else {
			c = i
		}
	}
	if got[c].ParentID != got[r].SpanID || got[c].TraceID != got[r].TraceID {
		t.Errorf("child of a jaeger span context: parent %s, want %s", got[c].ParentID, got[r].SpanID)
	}
}
