package otelbackend

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// otelSpanKey is the (unexported) context key under which OpenTelemetry's
// trace.ContextWithSpan stores the current span. The backend's context
// nodes answer it with their OpenTelemetry span, so that trace.SpanFromContext
// and the SDK find facade spans without a second context node per span.
//
// If OpenTelemetry ever finds its span differently (otelKeyKnown is
// false), each span's context node sits above OpenTelemetry's own context
// instead (see newSpan): one allocation more per span, nothing lost.
var otelSpanKey, otelKeyKnown = func() (any, bool) {
	if k, ok := backendkit.ProbeContextKey(func(ctx context.Context) { trace.SpanFromContext(ctx) }); ok {
		return k, true
	}
	return unknownKey{}, false
}()

// unknownKey stands for OpenTelemetry's context key when it could not be
// found: no context is ever asked for it.
type unknownKey struct{}

// fromOTel converts an OpenTelemetry span context.
func fromOTel(osc trace.SpanContext) tracing.SpanContext {
	c := tracing.SpanContextConfig{
		TraceID:    tracing.TraceID(osc.TraceID()),
		SpanID:     tracing.SpanID(osc.SpanID()),
		TraceFlags: tracing.TraceFlags(osc.TraceFlags()),
		Remote:     osc.IsRemote(),
	}
	if ts := osc.TraceState(); ts.Len() > 0 {
		c.TraceState = ts.String()
	}
	return tracing.NewSpanContext(c)
}

// toOTel converts a facade span context, with the members of its
// tracestate that OpenTelemetry can hold (see heldTraceState).
func toOTel(sc tracing.SpanContext) trace.SpanContext {
	c := trace.SpanContextConfig{
		TraceID:    trace.TraceID(sc.TraceID()),
		SpanID:     trace.SpanID(sc.SpanID()),
		TraceFlags: trace.TraceFlags(sc.TraceFlags()),
		Remote:     sc.IsRemote(),
	}
	if s := sc.TraceState(); s != "" {
		c.TraceState, _ = heldTraceState(s)
	}
	return trace.NewSpanContext(c)
}

// otelContext returns ctx as OpenTelemetry should see it. Usually that is
// ctx itself: this backend's context nodes answer OpenTelemetry's key.
// But a context may carry, innermost, a span OpenTelemetry cannot see: a
// remote span context put there by tracing.ContextWithRemoteSpanContext
// (another propagator), or another backend's span. Then ctx is returned
// with that span context added for OpenTelemetry, unless OpenTelemetry's
// current span is a child of it (so is more recent).
func otelContext(ctx context.Context) context.Context {
	v := ctx.Value(tracing.ContextKey{})
	switch v.(type) {
	case nil, *span, *remoteSpan:
		return ctx
	}
	fs, ok := v.(tracing.BackendSpan)
	if !ok {
		return ctx
	}
	fsc := fs.SpanContext()
	if !fsc.IsValid() {
		return ctx
	}
	ospan := trace.SpanFromContext(ctx)
	osc := ospan.SpanContext()
	if osc.TraceID() == trace.TraceID(fsc.TraceID()) {
		if osc.SpanID() == trace.SpanID(fsc.SpanID()) {
			return ctx
		}
		if ro, ok := ospan.(sdktrace.ReadOnlySpan); ok && ro.Parent().SpanID() == trace.SpanID(fsc.SpanID()) {
			return ctx
		}
	}
	return trace.ContextWithSpanContext(ctx, toOTel(fsc))
}

// remoteSpan is the context node Extract returns: it carries the extracted
// span context for the facade (OpenTelemetry finds it in the context
// below, which its propagators built) and is the non-recording span that
// tracing.SpanFromContext returns for it.
type remoteSpan struct {
	context.Context
	backendkit.NoopSpan
	sc tracing.SpanContext
	ts string // sc's tracestate, when OpenTelemetry's cannot hold it all (see tracestate.go)
}

func (r *remoteSpan) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(r)
	}
	return r.Context.Value(key)
}

func (r *remoteSpan) String() string { return "otelbackend.remoteSpan(" + r.sc.String() + ")" }

func (r *remoteSpan) SpanContext() tracing.SpanContext { return r.sc }

// ContextValue implements tracing.ContextValuer, for a remote span moved
// to another context with tracing.ContextWithSpan.
func (r *remoteSpan) ContextValue(key any) (any, bool) {
	if key == otelSpanKey {
		return r.Context.Value(key), true
	}
	return nil, false
}
