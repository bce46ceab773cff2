package tracing

import (
	"reflect"
	"runtime"
	"strings"
	"time"
)

// SpanKind says what role a span plays in a request.
type SpanKind uint8

// The span kinds, as in OpenTelemetry. The zero kind is SpanKindInternal.
const (
	SpanKindInternal SpanKind = iota
	SpanKindServer
	SpanKindClient
	SpanKindProducer
	SpanKindConsumer
)

var spanKindNames = [...]string{"internal", "server", "client", "producer", "consumer"}

// String returns the lowercase name of k ("server", …), the form OpenTracing's
// span.kind tag and Datadog's span.kind tag use.
func (k SpanKind) String() string {
	if int(k) < len(spanKindNames) {
		return spanKindNames[k]
	}
	return "internal"
}

// StatusCode is a span's outcome.
type StatusCode uint8

// Status codes, as in OpenTelemetry.
const (
	// StatusUnset is the default: the span's outcome was not judged.
	StatusUnset StatusCode = iota
	// StatusError marks the span failed.
	StatusError
	// StatusOK marks the span explicitly successful; it is final.
	StatusOK
)

var statusNames = [...]string{"unset", "error", "ok"}

// String returns "unset", "error" or "ok".
func (c StatusCode) String() string {
	if int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "unset"
}

// Span is the facade's handle on a span. It is a small value: copy it
// freely. The zero Span is valid and does nothing, so code never has to
// check for a missing span. All methods are safe for concurrent use if the
// backend's span is, which every backend in this module guarantees.
type Span struct {
	impl BackendSpan
}

// NewSpan wraps a backend's span. Backends call it; applications get spans
// from Start and SpanFromContext.
func NewSpan(impl BackendSpan) Span { return Span{impl} }

// Backend returns the backend's span behind s, or nil for the zero Span.
// Backends use it to recognise their own spans.
func (s Span) Backend() BackendSpan { return s.impl }

// SpanContext returns the span's identity; the zero Span has an invalid
// one.
func (s Span) SpanContext() SpanContext {
	if s.impl == nil {
		return SpanContext{}
	}
	return s.impl.SpanContext()
}

// IsRecording reports whether the span records what is set on it. Guard
// expensive attribute computations with it.
func (s Span) IsRecording() bool { return s.impl != nil && s.impl.IsRecording() }

// SetName renames the span (for example once a router has matched the route
// template). An empty name is ignored.
func (s Span) SetName(name string) {
	if s.impl != nil && name != "" {
		s.impl.SetName(name)
	}
}

// SetAttrs sets attributes on the span; a later value replaces an earlier
// one with the same key. Attributes with an empty key are dropped.
// Attributes set after End are ignored.
func (s Span) SetAttrs(attrs ...Attr) {
	if s.impl != nil && len(attrs) > 0 {
		s.setAttrs(attrs)
	}
}

// setAttrs is SetAttrs' slow path, kept out of line so that SetAttrs
// inlines and a no-op span does not pay for zeroing the Attrs on the stack.
func (s Span) setAttrs(attrs []Attr) {
	var a Attrs
	a.Append(attrs...)
	s.impl.SetAttrs(a)
}

// AddEvent records a named, timestamped event with attributes.
func (s Span) AddEvent(name string, attrs ...Attr) {
	if s.impl != nil {
		s.addEvent(time.Time{}, name, attrs)
	}
}

// AddEventAt is AddEvent with an explicit timestamp.
func (s Span) AddEventAt(t time.Time, name string, attrs ...Attr) {
	if s.impl != nil {
		s.addEvent(t, name, attrs)
	}
}

func (s Span) addEvent(t time.Time, name string, attrs []Attr) {
	var a Attrs
	a.Append(attrs...)
	s.impl.AddEvent(name, t, a)
}

// ErrorOption configures RecordError.
type ErrorOption struct {
	stack bool
	skip  int
}

// WithStack makes RecordError capture the caller's stack trace.
func WithStack() ErrorOption { return ErrorOption{stack: true} }

// RecordError records err on the span and marks the span failed (status
// Error with err's message). The backend keeps the message and the error's
// type (error.type / exception.type); the stack trace only when WithStack is
// given. A nil err is ignored.
func (s Span) RecordError(err error, opts ...ErrorOption) {
	if s.impl == nil || err == nil {
		return
	}
	info := ErrorInfo{Err: err, Message: err.Error(), Type: ErrorType(err)}
	for _, o := range opts {
		if o.stack {
			info.Stack = captureStack(3 + o.skip)
		}
	}
	s.impl.RecordError(info)
	s.impl.SetStatus(StatusError, info.Message)
}

// RecordErrorInfo is RecordError for errors described rather than held:
// a panic value that is not an error, an error whose stack was captured
// where it happened, or a type name of the caller's choosing. Empty Message
// and Type are filled from Err when it is set. It marks the span failed,
// as RecordError does. An ErrorInfo with neither Err nor Message is
// ignored.
func (s Span) RecordErrorInfo(info ErrorInfo) {
	if s.impl == nil {
		return
	}
	if info.Err != nil {
		if info.Message == "" {
			info.Message = info.Err.Error()
		}
		if info.Type == "" {
			info.Type = ErrorType(info.Err)
		}
	}
	if info.Err == nil && info.Message == "" {
		return
	}
	s.impl.RecordError(info)
	s.impl.SetStatus(StatusError, info.Message)
}

// SetStatus sets the span's outcome. StatusOK is final; the description is
// kept only with StatusError.
func (s Span) SetStatus(code StatusCode, description string) {
	if s.impl != nil {
		s.impl.SetStatus(code, description)
	}
}

// End ends the span now. Calls after the first are ignored.
func (s Span) End() {
	if s.impl != nil {
		s.impl.End(time.Time{})
	}
}

// EndAt ends the span at t. Calls after the first End are ignored.
func (s Span) EndAt(t time.Time) {
	if s.impl != nil {
		s.impl.End(t)
	}
}

// ErrorInfo describes an error recorded on a span.
type ErrorInfo struct {
	Err     error
	Message string
	// Type is the error's Go type, as reflect prints it ("*fs.PathError").
	Type string
	// Stack is a stack trace, or "" if none was asked for.
	Stack string
}

// ErrorType returns the Go type of err as reflect prints it, the form
// OpenTelemetry's exception.type and Datadog's error.type use.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).String()
}

// captureStack formats the goroutine's stack, skipping skip frames, in the
// layout of runtime/debug.Stack.
func captureStack(skip int) string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(skip, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		b.WriteString(f.Function)
		b.WriteString("\n\t")
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(itoa(f.Line))
		b.WriteByte('\n')
		if !more {
			break
		}
	}
	return b.String()
}

// Stack returns the calling goroutine's stack trace in the form RecordError
// records with WithStack, skipping skip frames above the caller. Middleware
// uses it to record where a handler panicked.
func Stack(skip int) string { return captureStack(3 + skip) }

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
