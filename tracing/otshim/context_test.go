package otshim_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/otshim"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestLegacyReadsTheFacadeSpan: legacy code that reads the current span
// with opentracing.SpanFromContext gets the facade span on every backend,
// not nil (which it would dereference).
func TestLegacyReadsTheFacadeSpan(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	ctx, fs := tr.Start(context.Background(), "handler")
	legacy := opentracing.SpanFromContext(ctx)
	if legacy == nil {
		t.Fatal("opentracing.SpanFromContext returned nil for a context carrying a facade span")
	}
	legacy.SetTag("legacy.tag", "set")
	legacy.LogKV("event", "legacy.log")
	fs.End()
	d, ok := rec.Span("handler")
	if !ok || d.AttrString("legacy.tag") != "set" {
		t.Errorf("a tag set through the legacy API is missing: %+v", d.Attrs)
	}
	if _, ok := d.Event("legacy.log"); !ok {
		t.Errorf("a log written through the legacy API is missing: %+v", d.Events)
	}
	if opentracing.SpanFromContext(context.Background()) != nil {
		t.Error("a bare context has a span")
	}
	remote := tracing.ContextWithRemoteSpanContext(context.Background(), tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(1, 2), SpanID: tracing.SpanIDFromUint64(3)}))
	if opentracing.SpanFromContext(remote) != nil {
		t.Error("an extracted remote parent reads as a span (OpenTracing's Extract gives a span context, not a span)")
	}
}
