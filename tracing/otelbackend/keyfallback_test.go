package otelbackend

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
)

// TestUnknownOTelContextKey: if OpenTelemetry ever finds its span through
// another context key than the one probed at init, facade and OpenTelemetry
// spans still see each other (through OpenTelemetry's own context below
// each node), instead of the package panicking at init as it once did.
func TestUnknownOTelContextKey(t *testing.T) {
	saved, savedKnown := otelSpanKey, otelKeyKnown
	otelSpanKey, otelKeyKnown = unknownKey{}, false
	t.Cleanup(func() { otelSpanKey, otelKeyKnown = saved, savedKnown })

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	b, err := New(WithTracerProvider(tp), WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	ctx, parent := tr.Start(context.Background(), "facade.parent")
	if got := trace.SpanFromContext(ctx).SpanContext(); got.SpanID() != trace.SpanID(parent.SpanContext().SpanID()) {
		t.Errorf("OpenTelemetry sees span %s in the facade's context, want the facade span %s", got.SpanID(), parent.SpanContext().SpanID())
	}
	octx, child := tp.Tracer("vendor").Start(ctx, "otel.child")
	_, grandchild := tr.Start(octx, "facade.grandchild")
	grandchild.End()
	child.End()
	parent.End()
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("exported %d spans, want 3", len(spans))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	if byName["otel.child"].Parent.SpanID() != byName["facade.parent"].SpanContext.SpanID() ||
		byName["facade.grandchild"].Parent.SpanID() != byName["otel.child"].SpanContext.SpanID() {
		t.Errorf("parents: otel.child under %s (want %s), facade.grandchild under %s (want %s)",
			byName["otel.child"].Parent.SpanID(), byName["facade.parent"].SpanContext.SpanID(),
			byName["facade.grandchild"].Parent.SpanID(), byName["otel.child"].SpanContext.SpanID())
	}
	_ = tp.Shutdown(context.Background())
}
