package tracing

import (
	"context"
	"time"
)

// Backend is what a tracing vendor implements; Tracer is the front end over
// it, as slog.Logger is over slog.Handler. The contract is small on purpose:
// further capabilities are optional interfaces a Backend may also implement
// (Flusher, Propagator, Summarizer, IDFormatter, LogKeyer), found by type
// assertion as database/sql/driver does.
type Backend interface {
	// Start starts a span named name (never empty) as a child of the span
	// that ctx carries (see SpanFromContext), or as a root if ctx carries
	// none or cfg.NewRoot is set. It returns a context carrying the new
	// span, so that SpanFromContext on it returns the span, and the span.
	// It must not block and must not fail: a backend that cannot record
	// returns a non-recording span that still carries a valid SpanContext
	// when there is a parent to propagate.
	Start(ctx context.Context, name string, cfg SpanConfig) (context.Context, Span)

	// Shutdown flushes spans that have ended and releases the backend's
	// resources. It returns when done or when ctx is done, whichever comes
	// first. Spans started after Shutdown are not recorded.
	Shutdown(ctx context.Context) error
}

// BackendSpan is a backend's span. Methods are called only by Span, which
// has already dropped nil errors, empty names and empty attribute keys. All
// methods must be safe for concurrent use and must do nothing after End.
type BackendSpan interface {
	SpanContext() SpanContext
	IsRecording() bool
	SetName(name string)
	// SetAttrs sets attrs; values of slice kinds must be cloned if kept.
	SetAttrs(attrs Attrs)
	// AddEvent records an event; a zero t means now.
	AddEvent(name string, t time.Time, attrs Attrs)
	// RecordError records an error's details; Span calls SetStatus(StatusError)
	// right after it.
	RecordError(info ErrorInfo)
	SetStatus(code StatusCode, description string)
	// End ends the span at t (now if t is zero); later calls do nothing.
	End(t time.Time)
}

// Flusher is implemented by backends that can export buffered spans on
// demand.
type Flusher interface {
	ForceFlush(ctx context.Context) error
}

// Summarizer is implemented by backends that describe their configuration
// for the startup summary.
type Summarizer interface {
	Summary() Summary
}

// IDFormatter is implemented by backends whose users expect trace and span
// ids in logs in a vendor form (Datadog: decimal). tracelog uses it.
type IDFormatter interface {
	FormatIDs(sc SpanContext) (traceID, spanID string)
}

// LogKeyer is implemented by backends whose users' log pipelines look for
// trace and span ids under keys of their own (Datadog: "dd.trace_id" and
// "dd.span_id"). LogCorrelation uses it; backends that do not implement it
// get "trace_id" and "span_id", the names OpenTelemetry's specification
// gives them in logs that are not OTLP. An empty key means the default one.
type LogKeyer interface {
	LogKeys() (traceKey, spanKey string)
}

// ContextValuer is implemented by backend spans that must also be visible to
// their vendor's own API through a context: ContextWithSpan's context answers
// Value(key) with the value ContextValue returns, so that for example
// OpenTelemetry's trace.SpanFromContext finds the vendor span behind a facade
// span.
type ContextValuer interface {
	ContextValue(key any) (value any, ok bool)
}

// SpanConfig is what Start hands a backend. It is passed by value (see
// Attrs for why).
type SpanConfig struct {
	Kind SpanKind
	// NewRoot asks for a new trace even if ctx carries a span.
	NewRoot bool
	// StartTime is the start time; zero means now.
	StartTime time.Time
	// Resource, Service and Type are the Datadog-style overrides (empty if
	// not given); backends without such notions record them as the
	// attributes named by KeyResource, KeyService and KeySpanType.
	Resource, Service, Type string
	Attrs                   Attrs
	Links                   []Link
}

// Link relates a span to another span, possibly in another trace.
type Link struct {
	SpanContext SpanContext
	Attrs       []Attr
}

// Stats counts what happened to a tracer's spans. Counts only grow.
type Stats struct {
	// Ended is the number of recorded spans that ended and were handed to
	// the backend's exporter.
	Ended uint64
	// Exported is the number of spans the backend knows it delivered
	// (0 when the vendor does not say).
	Exported uint64
	// Dropped is the number of spans lost: export queue full, export
	// failed, too large to send, or ended after Shutdown.
	Dropped uint64
}

// StatsReporter is implemented by backends that count their spans,
// including those their vendor SDK drops without telling.
type StatsReporter interface {
	Stats() Stats
}
