package otshim

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// otKey is the context key under which opentracing-go keeps the active
// span. It is unexported, so it is read once from opentracing-go itself:
// SpanFromContext asks a probe context for it.
var otKey, _ = backendkit.ProbeContextKey(func(ctx context.Context) { opentracing.SpanFromContext(ctx) })

// Importing the shim makes every context carrying a facade span answer
// opentracing.SpanFromContext with a view of that span, on every backend,
// so that legacy code reading the current span (span :=
// opentracing.SpanFromContext(ctx); span.SetTag(…)) gets the facade span
// instead of nil. Backends whose spans are OpenTracing spans themselves
// (jaeger) answer with their own.
func init() {
	if otKey != nil {
		tracing.RegisterContextKey(otKey, func(ctx context.Context, fs tracing.Span) any { return opentracing.Span(view(ctx, fs)) })
	}
}

// view returns an opentracing.Span over a facade span that is already
// running, with ctx, the context carrying it (and its baggage).
func view(ctx context.Context, fs tracing.Span) *span {
	return &span{tracer: &Tracer{}, ft: tracing.Default(), started: true, fs: fs, ctx: ctx}
}
