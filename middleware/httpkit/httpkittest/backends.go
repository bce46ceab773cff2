package httpkittest

import (
	"context"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console/consoletest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Backend is a backend the adapter tests run against: New returns a fresh
// instance and a Spans hook that decodes what the backend really sent (see
// tracingtest.Harness); Map says how the backend records what the
// middleware sets.
type Backend struct {
	Name string
	New  func(t *testing.T) Harness
	Map  Mapping
}

// Harness is a tracingtest.Harness with what the adapter tests also read
// back from some backends.
type Harness struct {
	tracingtest.Harness
	// Operation returns the vendor's operation name of a span read back
	// by Spans (nil for backends without operation names).
	Operation func(tracing.SpanID) string
}

// Backends is the table every adapter test runs against: the in-memory
// recorder and the console backend read back from its JSON lines. A test
// binary that links vendor backends appends them, each with its Mapping
// and a harness that reads back what the backend really sent (the e2e
// module's vendors package adds otel, datadog and jaeger, read back
// through their wire decoders), before its tests run.
var Backends = []Backend{
	{Name: "recorder", New: RecorderHarness},
	{Name: "console", New: ConsoleJSONHarness},
}

// RecorderHarness is the tracingtest recorder.
func RecorderHarness(*testing.T) Harness {
	r := tracingtest.NewRecorder()
	return Harness{Harness: tracingtest.Harness{
		Backend: r,
		Spans:   func(testing.TB, int) []tracingtest.SpanData { return r.Spans() },
	}}
}

// ConsoleJSONHarness is the console backend writing JSON lines, read back
// from what it wrote.
func ConsoleJSONHarness(*testing.T) Harness {
	b, spans := consoletest.Start()
	return Harness{Harness: tracingtest.Harness{
		Backend: b,
		Spans:   func(t testing.TB, _ int) []tracingtest.SpanData { return spans(t) },
	}}
}

// Env is one backend set up for one test.
type Env struct {
	Name   string
	H      Harness
	Map    Mapping
	Tracer *tracing.Tracer

	read []tracingtest.SpanData // what SpanByID read back last
}

// Each runs f once per backend in Backends, each in a subtest with a fresh
// backend that is shut down when the subtest ends (before the next one
// starts: the Datadog backend is process-global).
func Each(t *testing.T, f func(t *testing.T, e *Env)) {
	t.Helper()
	EachOf(t, Backends, f)
}

// EachOf is Each over the given backends.
func EachOf(t *testing.T, backends []Backend, f func(t *testing.T, e *Env)) {
	t.Helper()
	test := path.Base(t.Name())
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			e := NewEnv(t, b)
			if reason, ok := e.H.Skip[test]; ok {
				t.Skipf("not applicable to %s: %s", b.Name, reason)
			}
			f(t, e)
		})
	}
}

// NewEnv sets up backend b for the test t and shuts it down when t ends.
func NewEnv(t *testing.T, b Backend) *Env {
	t.Helper()
	h := b.New(t)
	e := &Env{Name: b.Name, H: h, Map: b.Map, Tracer: tracing.New(h.Backend)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Tracer.Shutdown(ctx); err != nil {
			t.Errorf("%s: Shutdown: %v", b.Name, err)
		}
	})
	return e
}

// Spans flushes the backend and returns what it exported, waiting up to
// five seconds for at least want spans: servers end their spans after the
// client has its response.
func (e *Env) Spans(t testing.TB, want int) []tracingtest.SpanData {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := e.Tracer.ForceFlush(ctx); err != nil {
			t.Errorf("ForceFlush: %v", err)
		}
		cancel()
		got := e.H.Spans(t, want)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SpansExactly waits for want spans, then a little longer to catch extra
// ones, and fails the test unless there are exactly want.
func (e *Env) SpansExactly(t testing.TB, want int) []tracingtest.SpanData {
	t.Helper()
	e.Spans(t, want)
	time.Sleep(20 * time.Millisecond)
	got := e.Spans(t, want)
	if len(got) != want {
		t.Fatalf("%s exported %d spans, want %d: %v", e.Name, len(got), want, Names(got))
	}
	return got
}

// Equal compares an attribute value as set (want) with the value the
// backend exported (got), allowing the backend's documented type mapping.
func (e *Env) Equal(want, got tracing.Value) bool {
	if e.H.ValueEqual != nil {
		return e.H.ValueEqual(want, got)
	}
	return want.Equal(got)
}

// WantAttr fails the test unless span s recorded the facade attribute key
// with value want, where and how the backend's Mapping says it records
// it.
func (e *Env) WantAttr(t testing.TB, s tracingtest.SpanData, key string, want tracing.Value) {
	t.Helper()
	r := e.Map.Rule(s.Kind, key)
	if r.Resource {
		if s.Resource != want.String() {
			t.Errorf("%s: span %q (%v) resource %q, want %s = %q there", e.Name, s.Name, s.Kind, s.Resource, key, want)
		}
		return
	}
	got, ok := s.Attr(r.Key)
	if !ok {
		t.Errorf("%s: span %q (%v) has no attribute %s (for %s = %v); attributes: %v", e.Name, s.Name, s.Kind, r.Key, key, want, s.Attrs)
		return
	}
	if r.Part != nil {
		part, ok := r.Part(got.String())
		if w := want.String(); !ok || part != w {
			t.Errorf("%s: span %q (%v) attribute %s = %q: the %s part is %q, want %q", e.Name, s.Name, s.Kind, r.Key, got, key, part, w)
		}
		return
	}
	if r.Value != nil {
		want = r.Value(want)
	}
	if !e.Equal(want, got) {
		t.Errorf("%s: span %q (%v) attribute %s = %v (%v), want %v (%v) for %s", e.Name, s.Name, s.Kind, r.Key, got, got.Kind(), want, want.Kind(), key)
	}
}

// Attr returns the attribute the backend recorded for the facade attribute
// key of span s, by the backend's Mapping (the recorded value, in the
// backend's form; the whole composite value for a Part rule, the resource
// for a Resource rule).
func (e *Env) Attr(s tracingtest.SpanData, key string) (tracing.Value, bool) {
	r := e.Map.Rule(s.Kind, key)
	if r.Resource {
		return tracing.StringValue(s.Resource), s.Resource != ""
	}
	return s.Attr(r.Key)
}

// NoAttr fails the test if span s recorded the facade attribute key (where
// the backend's Mapping says it would).
func (e *Env) NoAttr(t testing.TB, s tracingtest.SpanData, key string) {
	t.Helper()
	r := e.Map.Rule(s.Kind, key)
	if r.Resource {
		return
	}
	got, ok := s.Attr(r.Key)
	if !ok {
		return
	}
	if r.Part != nil {
		if part, ok := r.Part(got.String()); ok {
			t.Errorf("%s: span %q attribute %s = %q has a %s part %q, want none", e.Name, s.Name, r.Key, got, key, part)
		}
		return
	}
	t.Errorf("%s: span %q has attribute %s = %v (for %s), want none", e.Name, s.Name, r.Key, got, key)
}

// NoAttr fails the test if s has attribute key (a key the backends record
// as it is).
func NoAttr(t testing.TB, s tracingtest.SpanData, key string) {
	t.Helper()
	if v, ok := s.Attr(key); ok {
		t.Errorf("span %q has attribute %s = %v, want none", s.Name, key, v)
	}
}

// ReadDBName returns the name a database client span named name with
// resource resource (the sanitized query) is read back with: its name, or
// on Datadog, whose operation is "<system>.query", the resource.
func (e *Env) ReadDBName(name, resource string) string {
	if e.Map.DBOperation != nil {
		return resource
	}
	return name
}

// WantDBOperation fails the test unless database span s has the vendor
// operation of system (on backends that have one).
func (e *Env) WantDBOperation(t testing.TB, s tracingtest.SpanData, system string) {
	t.Helper()
	if e.Map.DBOperation == nil {
		return
	}
	if op, want := e.Operation(s), e.Map.DBOperation(system); op != want {
		t.Errorf("%s: database span %q has operation %q, want %q", e.Name, s.Name, op, want)
	}
}

// WantName fails the test unless HTTP span s was recorded with the name
// and resource the middleware gave it, as the backend records them: on
// Datadog, operation http.request and the resource (the facade's name is
// not kept there when a resource is given).
func (e *Env) WantName(t testing.TB, s tracingtest.SpanData, name, resource string) {
	t.Helper()
	if s.Resource != resource {
		t.Errorf("%s: span %q resource %q, want %q", e.Name, s.Name, s.Resource, resource)
	}
	if e.Map.Operation == "" {
		if s.Name != name {
			t.Errorf("%s: span name %q, want %q", e.Name, s.Name, name)
		}
		return
	}
	if op := e.Operation(s); op != e.Map.Operation || s.Name != resource {
		t.Errorf("%s: span operation %q, read back as %q; want operation %q with the resource %q", e.Name, op, s.Name, e.Map.Operation, resource)
	}
}

// Operation returns the vendor's operation name of s (its name on
// backends without operation names).
func (e *Env) Operation(s tracingtest.SpanData) string {
	if e.H.Operation == nil {
		return s.Name
	}
	return e.H.Operation(s.SpanID)
}

// TraceIDString formats id as the backend's tracing.IDFormatter does.
func (e *Env) TraceIDString(id tracing.TraceID) string {
	if e.Map.TraceID != nil {
		return e.Map.TraceID(id)
	}
	return id.String()
}

// Exception returns the type and message of the last OpenTelemetry-style
// "exception" event of s, which the middleware records for errors that do
// not fail the span; every backend keeps span events (Datadog as span
// events, Jaeger as log records).
func Exception(s tracingtest.SpanData) (typ, msg string, ok bool) {
	for i := len(s.Events) - 1; i >= 0; i-- {
		ev := s.Events[i]
		if ev.Name != "exception" {
			continue
		}
		t, _ := ev.Attr("exception.type")
		m, _ := ev.Attr("exception.message")
		return t.String(), m.String(), true
	}
	return "", "", false
}

// Named returns the only span read back with name (see Env.ReadName),
// failing the test otherwise.
func Named(t testing.TB, spans []tracingtest.SpanData, name string) tracingtest.SpanData {
	t.Helper()
	n := tracingtest.Named(spans, name)
	if len(n) != 1 {
		t.Fatalf("want one span named %q, got %d: %v", name, len(n), Names(spans))
	}
	return n[0]
}

// Names returns the spans' names.
func Names(spans []tracingtest.SpanData) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// One returns the only span with kind k, failing the test otherwise.
func One(t testing.TB, spans []tracingtest.SpanData, k tracing.SpanKind) tracingtest.SpanData {
	t.Helper()
	var found []tracingtest.SpanData
	for _, s := range spans {
		if s.Kind == k {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %v span, got %d: %v", k, len(found), Names(spans))
	}
	return found[0]
}

// ContainsValue reports whether anything a span recorded contains s: its
// name, resource, service, type, status message, error details, every
// attribute (key and value), every event (name and attributes) and every
// link's attributes. Tests plant secrets and prove they are not recorded.
func ContainsValue(spans []tracingtest.SpanData, s string) bool {
	in := func(attrs []tracing.Attr) bool {
		return slices.ContainsFunc(attrs, func(a tracing.Attr) bool { return containsStr(a.Value.String(), s) || containsStr(a.Key, s) })
	}
	for _, sp := range spans {
		for _, f := range []string{sp.Name, sp.Resource, sp.Service, sp.Type, sp.StatusMsg, sp.ErrorType, sp.ErrorMessage, sp.ErrorStack} {
			if containsStr(f, s) {
				return true
			}
		}
		if in(sp.Attrs) {
			return true
		}
		for _, ev := range sp.Events {
			if containsStr(ev.Name, s) || in(ev.Attrs) {
				return true
			}
		}
		for _, l := range sp.Links {
			if in(l.Attrs) {
				return true
			}
		}
	}
	return false
}
