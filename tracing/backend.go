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

// Stats counts what happened to a tracer's spans. Counts only grow, except
// Pending. At every moment Ended = Exported + Dropped + Pending, and
// Dropped is the sum of DroppedBy; once Shutdown has returned (drained or
// given up at its deadline) Pending is 0. Stats values compare with ==.
type Stats struct {
	// Ended is the number of recorded spans that ended (handed to the
	// backend's export pipeline, or dropped there at once), plus the
	// spans started after Shutdown, which are never recorded.
	Ended uint64
	// Exported is the number of spans the backend knows it delivered
	// (0 when the vendor does not say).
	Exported uint64
	// Dropped is the number of spans lost, for any reason (DroppedBy).
	Dropped uint64
	// Pending is the number of spans ended and not yet exported or lost:
	// queued, or in an export under way.
	Pending uint64
	// DroppedBy says why the dropped spans were lost.
	DroppedBy DropCounts
}

// DropCounts counts lost spans by reason.
type DropCounts struct {
	// QueueFull: the export queue was full when the span ended.
	QueueFull uint64
	// ExportFailed: the export that carried the span failed or timed
	// out (after its retries, if any).
	ExportFailed uint64
	// TooLarge: the span, or the payload it was in, was larger than the
	// transport or the receiver takes.
	TooLarge uint64
	// AfterShutdown: the span ended, or was started, after Shutdown.
	AfterShutdown uint64
	// ShutdownDeadline: Shutdown's (or ForceFlush's) context ended while
	// the span still waited in a queue or in an export, which was
	// abandoned.
	ShutdownDeadline uint64
}

// Total returns the sum of the counts.
func (d DropCounts) Total() uint64 {
	return d.QueueFull + d.ExportFailed + d.TooLarge + d.AfterShutdown + d.ShutdownDeadline
}

// StatsReporter is implemented by backends that count their spans,
// including those their vendor SDK drops without telling.
type StatsReporter interface {
	Stats() Stats
}

// ExportStats describes a backend's export requests: how many finished,
// how many failed, and how long they took.
type ExportStats struct {
	// Requests is the number of export requests that finished (succeeded
	// or failed; one per batch or payload, retries included in its time).
	Requests uint64
	// Failed is the number of those that failed, timed out or were
	// abandoned.
	Failed uint64
	// Latency counts the requests by duration: Latency[i] those that took
	// at most ExportLatencyBounds[i] (and more than the bound before it),
	// the last element those that took longer than every bound.
	Latency [len(ExportLatencyBounds) + 1]uint64
	// LatencySum is the total duration of the requests.
	LatencySum time.Duration
}

// ExportLatencyBounds are the upper bounds of ExportStats.Latency's
// buckets.
var ExportLatencyBounds = [...]time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second,
}

// ExportReporter is implemented by backends that time their export
// requests.
type ExportReporter interface {
	ExportStats() ExportStats
}
