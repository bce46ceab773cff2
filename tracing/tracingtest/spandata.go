package tracingtest

import (
	"slices"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// SpanData is a finished span as a backend recorded it, in one form for
// every backend: each backend's test hook decodes what the backend really
// sent (OTLP protobuf, Datadog msgpack, Jaeger thrift, console JSON) into
// it.
type SpanData struct {
	Name         string
	TraceID      tracing.TraceID
	SpanID       tracing.SpanID
	ParentID     tracing.SpanID // zero for a root
	Sampled      bool
	Kind         tracing.SpanKind
	Start, End   time.Time
	Attrs        []tracing.Attr
	Events       []Event
	Links        []Link
	Status       tracing.StatusCode
	StatusMsg    string
	ErrorType    string // the recorded error's type, if any
	ErrorMessage string
	ErrorStack   string
	// Resource, Service and Type are the Datadog-style overrides as the
	// backend recorded them ("" if it did not).
	Resource, Service, Type string
}

// Event is a span event.
type Event struct {
	Name  string
	Time  time.Time
	Attrs []tracing.Attr
}

// Link is a span link.
type Link struct {
	TraceID tracing.TraceID
	SpanID  tracing.SpanID
	Attrs   []tracing.Attr
}

// Attr returns the value of the attribute key.
func (s SpanData) Attr(key string) (tracing.Value, bool) { return attrOf(s.Attrs, key) }

// AttrString returns the attribute key formatted with Value.String ("" if
// absent).
func (s SpanData) AttrString(key string) string {
	v, _ := s.Attr(key)
	return v.String()
}

// Event returns the first event named name.
func (s SpanData) Event(name string) (Event, bool) {
	for _, e := range s.Events {
		if e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// IsRoot reports whether the span has no parent.
func (s SpanData) IsRoot() bool { return !s.ParentID.IsValid() }

// Attr returns the value of the event attribute key.
func (e Event) Attr(key string) (tracing.Value, bool) { return attrOf(e.Attrs, key) }

func attrOf(attrs []tracing.Attr, key string) (tracing.Value, bool) {
	for i := len(attrs) - 1; i >= 0; i-- {
		if attrs[i].Key == key {
			return attrs[i].Value, true
		}
	}
	return tracing.Value{}, false
}

// Named returns the spans named name, in the order given.
func Named(spans []SpanData, name string) []SpanData {
	return Filter(spans, func(s SpanData) bool { return s.Name == name })
}

// One returns the one span named name, and stops the test if there is
// not exactly one.
func One(t testing.TB, spans []SpanData, name string) SpanData {
	t.Helper()
	n := Named(spans, name)
	if len(n) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("want exactly one span named %q, got %d (of %d spans: %v)", name, len(n), len(spans), names)
	}
	return n[0]
}

// Filter returns the spans for which keep returns true.
func Filter(spans []SpanData, keep func(SpanData) bool) []SpanData {
	var out []SpanData
	for _, s := range spans {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// Children returns the spans whose parent is parent.
func Children(spans []SpanData, parent SpanData) []SpanData {
	return Filter(spans, func(s SpanData) bool {
		return s.TraceID == parent.TraceID && s.ParentID == parent.SpanID
	})
}

// Trace returns the spans of trace id, ordered by start time.
func Trace(spans []SpanData, id tracing.TraceID) []SpanData {
	out := Filter(spans, func(s SpanData) bool { return s.TraceID == id })
	slices.SortStableFunc(out, func(a, b SpanData) int { return a.Start.Compare(b.Start) })
	return out
}

// ErrorFromExceptionEvent fills ErrorType, ErrorMessage and ErrorStack from
// the last OpenTelemetry-style "exception" event, for hooks of backends
// that record errors that way.
func (s *SpanData) ErrorFromExceptionEvent() {
	for i := len(s.Events) - 1; i >= 0; i-- {
		e := s.Events[i]
		if e.Name != "exception" {
			continue
		}
		t, _ := e.Attr("exception.type")
		m, _ := e.Attr("exception.message")
		st, _ := e.Attr("exception.stacktrace")
		s.ErrorType, s.ErrorMessage, s.ErrorStack = t.AsString(), m.AsString(), st.AsString()
		return
	}
}
