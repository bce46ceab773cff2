package otelbackend

import (
	"context"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
)

// otelSpanKey is the (unexported) context key under which OpenTelemetry's
// trace.ContextWithSpan stores the current span. The backend's context
// nodes answer it with their OpenTelemetry span, so that trace.SpanFromContext
// and the SDK find facade spans without a second context node per span.
var otelSpanKey = probeSpanKey()

// keyProbe is a context that records the key it is asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

func probeSpanKey() any {
	p := &keyProbe{Context: context.Background()}
	trace.SpanFromContext(p)
	if p.key == nil {
		panic("otelbackend: could not find OpenTelemetry's span context key")
	}
	return p.key
}

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

// toOTel converts a facade span context. A tracestate OpenTelemetry cannot
// parse is dropped.
func toOTel(sc tracing.SpanContext) trace.SpanContext {
	c := trace.SpanContextConfig{
		TraceID:    trace.TraceID(sc.TraceID()),
		SpanID:     trace.SpanID(sc.SpanID()),
		TraceFlags: trace.TraceFlags(sc.TraceFlags()),
		Remote:     sc.IsRemote(),
	}
	if s := sc.TraceState(); s != "" {
		c.TraceState, _ = trace.ParseTraceState(s)
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
	sc tracing.SpanContext
}

func (r *remoteSpan) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(r)
	}
	return r.Context.Value(key)
}

func (r *remoteSpan) String() string { return "otelbackend.remoteSpan(" + r.sc.String() + ")" }

func (r *remoteSpan) SpanContext() tracing.SpanContext          { return r.sc }
func (r *remoteSpan) IsRecording() bool                         { return false }
func (r *remoteSpan) SetName(string)                            {}
func (r *remoteSpan) SetAttrs(tracing.Attrs)                    {}
func (r *remoteSpan) AddEvent(string, time.Time, tracing.Attrs) {}
func (r *remoteSpan) RecordError(tracing.ErrorInfo)             {}
func (r *remoteSpan) SetStatus(tracing.StatusCode, string)      {}
func (r *remoteSpan) End(time.Time)                             {}

// ContextValue implements tracing.ContextValuer, for a remote span moved
// to another context with tracing.ContextWithSpan.
func (r *remoteSpan) ContextValue(key any) (any, bool) {
	if key == otelSpanKey {
		return r.Context.Value(key), true
	}
	return nil, false
}
