package backendkit

import (
	"context"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// NoopSpan implements the methods of tracing.BackendSpan that change a
// span as no-ops, and IsRecording as false. Embed it in a backend's
// non-recording span types (a remote parent, an unsampled span) and add
// SpanContext.
type NoopSpan struct{}

// IsRecording implements tracing.BackendSpan: false.
func (NoopSpan) IsRecording() bool { return false }

// SetName implements tracing.BackendSpan: it does nothing.
func (NoopSpan) SetName(string) {}

// SetAttrs implements tracing.BackendSpan: it does nothing.
func (NoopSpan) SetAttrs(tracing.Attrs) {}

// AddEvent implements tracing.BackendSpan: it does nothing.
func (NoopSpan) AddEvent(string, time.Time, tracing.Attrs) {}

// RecordError implements tracing.BackendSpan: it does nothing.
func (NoopSpan) RecordError(tracing.ErrorInfo) {}

// SetStatus implements tracing.BackendSpan: it does nothing.
func (NoopSpan) SetStatus(tracing.StatusCode, string) {}

// End implements tracing.BackendSpan: it does nothing.
func (NoopSpan) End(time.Time) {}

// NonRecording is a span that records nothing but carries a span context,
// and at the same time the context node that carries it: one allocation
// for what a backend's Start returns when it does not sample a span, so
// that its children and injected headers still continue the trace.
//
// Its Value answers tracing.ContextKey with the span and the keys
// registered with tracing.RegisterContextKey (OpenTracing's, when
// tracing/otshim is linked), and asks the parent context for any other
// key.
type NonRecording struct {
	context.Context // the parent context
	NoopSpan
	sc tracing.SpanContext
}

// NewNonRecording returns a non-recording span carrying sc, as a child
// context of parent (context.Background() if nil).
func NewNonRecording(parent context.Context, sc tracing.SpanContext) *NonRecording {
	if parent == nil {
		parent = context.Background()
	}
	return &NonRecording{Context: parent, sc: sc}
}

// SpanContext implements tracing.BackendSpan.
func (n *NonRecording) SpanContext() tracing.SpanContext { return n.sc }

// Value implements context.Context.
func (n *NonRecording) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(n)
	}
	if v, ok := tracing.ContextKeyValue(n, key, n); ok {
		return v
	}
	return n.Context.Value(key)
}

// String describes the node, as the context package's nodes do.
func (n *NonRecording) String() string { return "backendkit.NonRecording(" + n.sc.String() + ")" }
