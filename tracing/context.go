package tracing

import (
	"context"
	"time"
)

// ContextKey is the context key under which a context carries its current
// span, as a BackendSpan. Applications use SpanFromContext and
// ContextWithSpan. A backend may build its own context type that answers
// Value(ContextKey{}) with its span, so that one allocation carries both the
// span and the context (and its vendor's own key, for interoperability).
type ContextKey struct{}

// SpanFromContext returns the span ctx carries. It never returns nil: for a
// nil context or one without a span it returns the zero Span, which does
// nothing.
func SpanFromContext(ctx context.Context) Span {
	if ctx == nil {
		return Span{}
	}
	if bs, ok := ctx.Value(ContextKey{}).(BackendSpan); ok {
		return Span{bs}
	}
	return Span{}
}

// ContextWithSpan returns a copy of ctx carrying s, so that SpanFromContext
// returns it and spans started from the result are its children. A nil ctx
// is treated as context.Background(). Carrying the zero Span hides any span
// further up.
func ContextWithSpan(ctx context.Context, s Span) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return &spanCtx{Context: ctx, span: s.impl}
}

type spanCtx struct {
	context.Context
	span BackendSpan
}

func (c *spanCtx) Value(key any) any {
	if _, ok := key.(ContextKey); ok {
		return c.span
	}
	if cv, ok := c.span.(ContextValuer); ok {
		if v, ok := cv.ContextValue(key); ok {
			return v
		}
	}
	return c.Context.Value(key)
}

func (c *spanCtx) String() string { return "tracing.ContextWithSpan" }

// ContextWithRemoteSpanContext returns a copy of ctx carrying sc, marked
// remote, as the parent for spans started from it. Propagators call it after
// extracting a context from a request; an invalid sc leaves ctx unchanged.
func ContextWithRemoteSpanContext(ctx context.Context, sc SpanContext) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if !sc.IsValid() {
		return ctx
	}
	return &remoteCtx{Context: ctx, sc: sc.WithRemote(true)}
}

// remoteCtx is a context node and a non-recording span in one allocation.
type remoteCtx struct {
	context.Context
	sc SpanContext
}

func (c *remoteCtx) Value(key any) any {
	if _, ok := key.(ContextKey); ok {
		return BackendSpan(c)
	}
	return c.Context.Value(key)
}

func (c *remoteCtx) String() string { return "tracing.ContextWithRemoteSpanContext" }

func (c *remoteCtx) SpanContext() SpanContext          { return c.sc }
func (c *remoteCtx) IsRecording() bool                 { return false }
func (c *remoteCtx) SetName(string)                    {}
func (c *remoteCtx) SetAttrs(Attrs)                    {}
func (c *remoteCtx) AddEvent(string, time.Time, Attrs) {}
func (c *remoteCtx) RecordError(ErrorInfo)             {}
func (c *remoteCtx) SetStatus(StatusCode, string)      {}
func (c *remoteCtx) End(time.Time)                     {}

// NonRecordingSpan returns a span that records nothing but carries sc, for
// backends that decide not to sample: children and injected headers still
// continue sc's trace.
func NonRecordingSpan(sc SpanContext) BackendSpan {
	return &remoteCtx{Context: context.Background(), sc: sc}
}
