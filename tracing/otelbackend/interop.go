package otelbackend

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// interopProvider is the OpenTelemetry TracerProvider the backend installs
// as the global one. Its spans are the backend's, so the contexts its
// tracers return carry them for both APIs: tracing.SpanFromContext inside
// code instrumented with the OpenTelemetry API (otel.Tracer, otelhttp, …)
// returns the innermost span, whichever API started it.
type interopProvider struct {
	embedded.TracerProvider
	b *Backend
}

// Tracer returns a tracer of the backend's provider, wrapped.
func (p *interopProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &interopTracer{t: p.b.tp.Tracer(name, opts...), b: p.b}
}

type interopTracer struct {
	embedded.Tracer
	t trace.Tracer
	b *Backend
}

// Start starts a span with the wrapped tracer and returns it in the
// backend's context node. The span returned is the SDK's own, so type
// assertions on it (sdktrace.ReadWriteSpan, …) work as usual.
func (t *interopTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	pctx := otelContext(ctx)
	sctx := pctx
	if !trace.SpanContextFromContext(pctx).IsValid() {
		// A new trace: with the random flag (see rootParent). A span
		// started WithNewRoot under a parent gets none: the SDK then
		// ignores the context's span.
		sctx = rootParent(pctx, nil)
	}
	octx, os := t.t.Start(sctx, name, opts...)
	return t.b.newSpan(pctx, octx, os), os
}
