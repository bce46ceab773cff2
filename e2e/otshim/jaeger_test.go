package otshim_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing/otshim"
)

// TestJaegerSpanReferences: with the jaeger backend,
// opentracing.SpanFromContext on a facade span's context returns the
// jaeger span (not a shim span); legacy code that passes its context as a
// reference to the shim, or injects it, still continues the facade span
// (through otshim.ParentBridge).
func TestJaegerSpanReferences(t *testing.T) {
	tr, spans := openJaeger(t)
	shim := otshim.New(otshim.WithTracer(tr))
	ctx, root := tr.Start(context.Background(), "facade")
	js, ok := opentracing.SpanFromContext(ctx).(*jaeger.Span)
	if !ok {
		t.Fatalf("opentracing.SpanFromContext = %T, want *jaeger.Span", opentracing.SpanFromContext(ctx))
	}
	child := shim.StartSpan("child-of-jaeger-span", opentracing.ChildOf(js.Context()))
	h := opentracing.HTTPHeadersCarrier{}
	if err := shim.Inject(js.Context(), opentracing.HTTPHeaders, h); err != nil {
		t.Fatalf("Inject of a jaeger span context: %v", err)
	}
	child.Finish()
	root.End()
	if err := tr.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := spans(t, 2)
	r, c := one(t, got, "facade"), one(t, got, "child-of-jaeger-span")
	if c.ParentID != r.SpanID || c.TraceID != r.TraceID {
		t.Errorf("child of the jaeger span: parent %s, want %s", c.ParentID, r.SpanID)
	}
	if tp := h["Traceparent"]; len(tp) != 1 || tp[0] != "00-"+r.TraceID.String()+"-"+r.SpanID.String()+"-01" {
		t.Errorf("injected %v", h)
	}
}
