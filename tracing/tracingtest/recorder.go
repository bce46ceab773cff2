package tracingtest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// Recorder is a backend that keeps every finished span in memory, for
// unit tests of code that traces. Spans are recorded when they end.
type Recorder struct {
	*backendkit.MemoryBackend
	mu      sync.Mutex
	spans   []SpanData
	changes Changes // of spans
}

// RecorderOption configures a Recorder.
type RecorderOption func(*backendkit.MemoryOptions)

// WithSampleRatio records only this fraction of new traces.
func WithSampleRatio(r float64) RecorderOption {
	return func(o *backendkit.MemoryOptions) { o.SampleRatio = r }
}

// WithLimits sets the per-span attribute and event limits and the string
// value length limit in characters (0 keeps a default: 128 attributes, 128
// events, 25000 characters, as the real backends; a negative value length
// means no limit).
func WithLimits(maxAttrs, maxEvents, maxValueLen int) RecorderOption {
	return func(o *backendkit.MemoryOptions) {
		o.MaxAttrs, o.MaxEvents = maxAttrs, maxEvents
		switch {
		case maxValueLen > 0:
			o.MaxValueLen = maxValueLen
		case maxValueLen < 0:
			o.MaxValueLen = 0 // none
		}
	}
}

// NewRecorder returns a Recorder.
func NewRecorder(opts ...RecorderOption) *Recorder {
	r := &Recorder{}
	o := backendkit.MemoryOptions{OnEnd: r.record, MaxValueLen: backendkit.DefaultAttrValueLen}
	for _, opt := range opts {
		opt(&o)
	}
	r.MemoryBackend = backendkit.NewMemoryBackend(o)
	return r
}

// Install makes a new Recorder the process default tracer for the duration
// of the test, restoring the previous default when the test ends. Tests
// that call it must not run in parallel with others that use the default
// tracer.
func Install(t testing.TB) *Recorder {
	t.Helper()
	prev := tracing.Default()
	r := NewRecorder()
	tracing.SetDefault(tracing.New(r))
	t.Cleanup(func() { tracing.SetDefault(prev) })
	return r
}

// Tracer returns a new Tracer over r.
func (r *Recorder) Tracer() *tracing.Tracer { return tracing.New(r) }

func (r *Recorder) record(d *backendkit.SpanData) {
	s := fromSDK(d)
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
	r.changes.Notify()
}

// Spans returns the finished spans in the order they ended.
func (r *Recorder) Spans() []SpanData {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// Reset forgets the spans recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = nil
}

// Span returns the first finished span named name.
func (r *Recorder) Span(name string) (SpanData, bool) {
	for _, s := range r.Spans() {
		if s.Name == name {
			return s, true
		}
	}
	return SpanData{}, false
}

// WaitFor waits until done reports true for the finished spans, or until
// timeout, and returns the spans. Servers end their spans after the client
// has its response, so tests of middleware wait for them.
func (r *Recorder) WaitFor(timeout time.Duration, done func([]SpanData) bool) []SpanData {
	var spans []SpanData
	r.changes.WaitUntil(timeout, func() bool {
		spans = r.Spans()
		return done(spans)
	})
	return spans
}

// WaitForSpans waits until at least n spans have finished, or until
// timeout, and returns the spans.
func (r *Recorder) WaitForSpans(n int, timeout time.Duration) []SpanData {
	return r.WaitFor(timeout, func(s []SpanData) bool { return len(s) >= n })
}

// ForceFlush does nothing: spans are recorded as they end.
func (r *Recorder) ForceFlush(context.Context) error { return nil }

// Summary implements tracing.Summarizer.
func (r *Recorder) Summary() tracing.Summary {
	return tracing.Summary{Backend: "recorder", Destination: "memory", Sampler: "parentbased_always_on", Propagators: []string{"tracecontext", "baggage"}}
}

// fromSDK converts the internal span record of the built-in backends.
func fromSDK(d *backendkit.SpanData) SpanData {
	s := SpanData{
		Name:      d.Name,
		TraceID:   d.SpanContext.TraceID(),
		SpanID:    d.SpanContext.SpanID(),
		Sampled:   d.SpanContext.IsSampled(),
		Kind:      d.Kind,
		Start:     d.Start,
		End:       d.End,
		Attrs:     slices.Clone(d.Attrs),
		Status:    d.Status,
		StatusMsg: d.StatusDesc,
		Resource:  d.Resource,
		Service:   d.Service,
		Type:      d.Type,
	}
	if d.Parent.IsValid() {
		s.ParentID = d.Parent.SpanID()
	}
	for _, e := range d.Events {
		s.Events = append(s.Events, Event{Name: e.Name, Time: e.Time, Attrs: slices.Clone(e.Attrs)})
	}
	for _, l := range d.Links {
		s.Links = append(s.Links, Link{TraceID: l.SpanContext.TraceID(), SpanID: l.SpanContext.SpanID(), Attrs: slices.Clone(l.Attrs)})
	}
	s.ErrorFromExceptionEvent()
	return s
}
