package backendkit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// SpanData is an ended (or, for OnStart, just started) span. Callbacks must
// not modify it; it does not change after OnEnd.
type SpanData struct {
	Name         string
	SpanContext  tracing.SpanContext
	Parent       tracing.SpanContext // invalid for a root
	Kind         tracing.SpanKind
	Start, End   time.Time
	Attrs        []tracing.Attr // unique keys, in order of first setting; slice values cloned
	Events       []Event
	Links        []tracing.Link
	Status       tracing.StatusCode
	StatusDesc   string
	Resource     string
	Service      string
	Type         string
	DroppedAttrs int // attributes not kept because of MaxAttrs
	DroppedEvent int // events not kept because of MaxEvents
}

// Event is a span event.
type Event struct {
	Name  string
	Time  time.Time
	Attrs []tracing.Attr
}

// Attr returns the value of key, if set.
func (d *SpanData) Attr(key string) (tracing.Value, bool) {
	for _, a := range d.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return tracing.Value{}, false
}

// MemoryOptions configure a Backend. Zero values mean defaults.
type MemoryOptions struct {
	// OnStart is called for each sampled span when it starts.
	OnStart func(*SpanData)
	// OnEnd is called once for each sampled span when it ends.
	OnEnd func(*SpanData)
	// SampleRatio is the fraction of new traces recorded; 0 means 1.
	// Spans with a parent follow the parent's decision.
	SampleRatio float64
	// MaxAttrs, MaxEvents, MaxLinks and MaxEventAttrs bound what a span
	// keeps (default 128 each, as OpenTelemetry's); MaxValueLen truncates
	// string values to that many characters (default: no limit).
	MaxAttrs, MaxEvents, MaxLinks, MaxEventAttrs, MaxValueLen int
}

// MemoryBackend is a tracing.Backend that keeps spans in memory and hands
// each one to callbacks when it starts and ends: the core of the console
// backend and of tracingtest.Recorder, and of any backend whose vendor has
// no span implementation of its own (see the package example).
type MemoryBackend struct {
	opts      MemoryOptions
	threshold uint64 // sample traces whose low 63 bits are below this
	closed    atomic.Bool
	ended     atomic.Uint64
	dropped   atomic.Uint64
}

// NewMemoryBackend returns a MemoryBackend.
func NewMemoryBackend(o MemoryOptions) *MemoryBackend {
	if o.MaxAttrs <= 0 {
		o.MaxAttrs = 128
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 128
	}
	if o.MaxLinks <= 0 {
		o.MaxLinks = 128
	}
	if o.MaxEventAttrs <= 0 {
		o.MaxEventAttrs = 128
	}
	b := &MemoryBackend{opts: o, threshold: 1 << 63}
	if r := o.SampleRatio; r > 0 && r < 1 {
		b.threshold = uint64(r * (1 << 63))
	}
	return b
}

// Shutdown stops recording: spans that end afterwards are dropped (and
// counted). It never blocks.
func (b *MemoryBackend) Shutdown(context.Context) error {
	b.closed.Store(true)
	return nil
}

// Closed reports whether Shutdown was called.
func (b *MemoryBackend) Closed() bool { return b.closed.Load() }

// DroppedAfterShutdown returns how many spans ended after Shutdown.
func (b *MemoryBackend) DroppedAfterShutdown() uint64 { return b.dropped.Load() }

// Stats implements tracing.StatsReporter: Exported counts the sampled
// spans handed to OnEnd (delivered to the backend's owner: what OnEnd does
// with them is its business), Dropped those that ended after Shutdown,
// and Ended both; nothing is ever pending.
func (b *MemoryBackend) Stats() tracing.Stats {
	d, e := b.dropped.Load(), b.ended.Load()
	return tracing.Stats{Ended: e + d, Exported: e, Dropped: d, DroppedBy: tracing.DropCounts{AfterShutdown: d}}
}

// Start implements tracing.Backend.
func (b *MemoryBackend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	var parent tracing.SpanContext
	if !cfg.NewRoot {
		parent = tracing.SpanFromContext(ctx).SpanContext()
	}
	sc := tracing.SpanContextConfig{SpanID: NewSpanID()}
	if parent.IsValid() {
		sc.TraceID = parent.TraceID()
		sc.TraceFlags = parent.TraceFlags()
		sc.TraceState = parent.TraceState()
	} else {
		parent = tracing.SpanContext{}
		sc.TraceID = NewTraceID()
		sc.TraceFlags = tracing.FlagsRandom
		if sc.TraceID.Low64()&(1<<63-1) < b.threshold {
			sc.TraceFlags |= tracing.FlagsSampled
		}
	}
	spc := tracing.NewSpanContext(sc)
	if !spc.IsSampled() || b.closed.Load() {
		n := NewNonRecording(ctx, spc)
		return n, tracing.NewSpan(n)
	}
	s := &span{Context: ctx, b: b}
	d := &s.data
	d.Name = name
	d.SpanContext = spc
	d.Parent = parent
	d.Kind = cfg.Kind
	d.Start = cfg.StartTime
	if d.Start.IsZero() {
		d.Start = time.Now()
	}
	d.Resource, d.Service, d.Type = b.clipString(cfg.Resource), b.clipString(cfg.Service), b.clipString(cfg.Type)
	s.setAttrsLocked(&cfg.Attrs)
	for _, l := range cfg.Links {
		if len(d.Links) >= b.opts.MaxLinks {
			break
		}
		d.Links = append(d.Links, tracing.Link{SpanContext: l.SpanContext, Attrs: b.cloneAttrs(l.Attrs, b.opts.MaxEventAttrs)})
	}
	if b.opts.OnStart != nil {
		b.opts.OnStart(d)
	}
	return s, tracing.NewSpan(s)
}

// cloneAttrs copies attrs (clipped), keeping at most max of them.
func (b *MemoryBackend) cloneAttrs(attrs []tracing.Attr, max int) []tracing.Attr {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]tracing.Attr, 0, min(len(attrs), max))
	for _, a := range attrs {
		if a.Key != "" && len(out) < max {
			out = append(out, tracing.Attr{Key: a.Key, Value: b.clip(a.Value)})
		}
	}
	return out
}

// clipString cuts s to MaxValueLen characters.
func (b *MemoryBackend) clipString(s string) string {
	if b.opts.MaxValueLen > 0 {
		return TruncateString(s, b.opts.MaxValueLen)
	}
	return s
}

// clip clones v and cuts strings longer than MaxValueLen characters.
func (b *MemoryBackend) clip(v tracing.Value) tracing.Value {
	if max := b.opts.MaxValueLen; max > 0 && Truncated(v, max) {
		return TruncateValue(v, max) // a copy already
	}
	return v.Clone()
}

// span is a recording span and the context node that carries it.
type span struct {
	context.Context
	b     *MemoryBackend
	mu    sync.Mutex
	ended bool
	data  SpanData
}

func (s *span) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(s)
	}
	if v, ok := tracing.ContextKeyValue(s, key, s); ok {
		return v
	}
	return s.Context.Value(key)
}

func (s *span) String() string { return "backendkit.span(" + s.data.Name + ")" }

func (s *span) SpanContext() tracing.SpanContext { return s.data.SpanContext } // immutable

func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.data.Name = name
	}
}

func (s *span) SetAttrs(attrs tracing.Attrs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.setAttrsLocked(&attrs)
	}
}

func (s *span) setAttrsLocked(attrs *tracing.Attrs) {
	d := &s.data
	for i := range attrs.Len() {
		a := attrs.At(i)
		switch a.Key {
		case tracing.KeyResource:
			d.Resource = s.b.clipString(a.Value.String())
			continue
		case tracing.KeyService:
			d.Service = s.b.clipString(a.Value.String())
			continue
		case tracing.KeySpanType:
			d.Type = s.b.clipString(a.Value.String())
			continue
		}
		v := s.b.clip(a.Value)
		replaced := false
		for j := range d.Attrs {
			if d.Attrs[j].Key == a.Key {
				d.Attrs[j].Value = v
				replaced = true
				break
			}
		}
		if replaced {
			continue
		}
		if len(d.Attrs) >= s.b.opts.MaxAttrs {
			d.DroppedAttrs++
			continue
		}
		d.Attrs = append(d.Attrs, tracing.Attr{Key: a.Key, Value: v})
	}
}

func (s *span) AddEvent(name string, t time.Time, attrs tracing.Attrs) {
	if t.IsZero() {
		t = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	if len(s.data.Events) >= s.b.opts.MaxEvents {
		s.data.DroppedEvent++
		return
	}
	s.data.Events = append(s.data.Events, Event{Name: name, Time: t, Attrs: s.b.cloneAttrs(attrs.AppendTo(nil), s.b.opts.MaxEventAttrs)})
}

// RecordError records an "exception" event with OpenTelemetry's attribute
// names.
func (s *span) RecordError(info tracing.ErrorInfo) {
	attrs := tracing.AttrsOf(
		tracing.String("exception.type", info.Type),
		tracing.String("exception.message", info.Message),
	)
	if info.Stack != "" {
		attrs.Append(tracing.String("exception.stacktrace", info.Stack))
	}
	s.AddEvent("exception", time.Time{}, attrs)
}

func (s *span) SetStatus(code tracing.StatusCode, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// As OpenTelemetry: Unset < Error < OK, and a lower code never
	// replaces a higher one.
	if s.ended || code < s.data.Status {
		return
	}
	s.data.Status = code
	if code == tracing.StatusError {
		s.data.StatusDesc = s.b.clipString(desc)
	} else {
		s.data.StatusDesc = ""
	}
}

func (s *span) End(t time.Time) {
	if t.IsZero() {
		t = time.Now()
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.data.End = t
	s.mu.Unlock()
	if s.b.closed.Load() {
		s.b.dropped.Add(1)
		return
	}
	s.b.ended.Add(1)
	if s.b.opts.OnEnd != nil {
		s.b.opts.OnEnd(&s.data)
	}
}
