package tracing

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
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
	if v, ok := ContextKeyValue(c, key, c.span); ok {
		return v
	}
	return c.Context.Value(key)
}

func (c *spanCtx) String() string { return "tracing.ContextWithSpan" }

type keyFunc struct {
	key   any
	value func(ctx context.Context, s Span) any
}

var (
	keysMu      sync.Mutex
	contextKeys atomic.Pointer[[]keyFunc]
)

// RegisterContextKey makes every context that carries a span (a local one,
// recording or not; not a remote parent) answer Value(key) with
// value(ctx, span), where ctx is that context. It lets another tracing API's own "span from context" find
// facade spans whatever the backend: tracing/otshim registers
// OpenTracing's key, so that legacy opentracing.SpanFromContext calls get
// the current facade span instead of nil. Call it from init functions. It
// panics if value is nil or key is not comparable.
func RegisterContextKey(key any, value func(ctx context.Context, s Span) any) {
	if value == nil || key == nil || !reflect.TypeOf(key).Comparable() {
		panic("tracing: RegisterContextKey needs a comparable key and a value function")
	}
	keysMu.Lock()
	defer keysMu.Unlock()
	var keys []keyFunc
	if p := contextKeys.Load(); p != nil {
		keys = append(keys, *p...)
	}
	keys = append(keys, keyFunc{key, value})
	contextKeys.Store(&keys)
}

// ContextKeyValue returns what RegisterContextKey made key answer for span
// in the context node. Backends whose span type is also its context node
// call it for keys they do not know, before asking the parent context:
//
//	if v, ok := tracing.ContextKeyValue(n, key, n); ok {
//		return v
//	}
func ContextKeyValue(node context.Context, key any, span BackendSpan) (any, bool) {
	p := contextKeys.Load()
	if p == nil || span == nil {
		return nil, false
	}
	for _, k := range *p {
		if k.key == key {
			return k.value(node, Span{span}), true
		}
	}
	return nil, false
}

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
