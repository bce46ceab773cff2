package otelbackend

import (
	"context"
	rtrace "runtime/trace"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// span is a facade span over an OpenTelemetry span, and at the same time
// the context node that carries it: it answers tracing.ContextKey{} with
// itself and OpenTelemetry's span key with the OpenTelemetry span, so one
// allocation serves both APIs.
type span struct {
	context.Context // the parent context
	otel            trace.Span
	b               *Backend
	ts              *string // the facade tracestate inherited, when OpenTelemetry's cannot hold it all (see tracestate.go); a pointer keeps the node in its 48-byte size class
}

func (s *span) Value(key any) any {
	if key == otelSpanKey {
		return s.otel
	}
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(s)
	}
	if v, ok := tracing.ContextKeyValue(s, key, s); ok {
		return v
	}
	return s.Context.Value(key)
}

func (s *span) String() string { return "otelbackend.span" }

// ContextValue implements tracing.ContextValuer: a span moved to another
// context with tracing.ContextWithSpan is OpenTelemetry's current span
// there too.
func (s *span) ContextValue(key any) (any, bool) {
	if key == otelSpanKey {
		return s.otel, true
	}
	return nil, false
}

func (s *span) SpanContext() tracing.SpanContext {
	osc := s.otel.SpanContext()
	if s.ts != nil {
		return fromOTel(osc).WithTraceState(mergeTraceState(osc.TraceState(), *s.ts))
	}
	return fromOTel(osc)
}

func (s *span) IsRecording() bool { return s.otel.IsRecording() }

// SetName sets the name, cut to the attribute value length limit as every
// backend cuts names.
func (s *span) SetName(name string) { s.otel.SetName(backendkit.TruncateString(name, s.b.valueLen)) }

func (s *span) SetAttrs(attrs tracing.Attrs) {
	n := attrs.Len()
	if n == 0 {
		return
	}
	sc := getScratch()
	kvs := sc.convert(&attrs, 0)
	s.otel.SetAttributes(kvs...)
	sc.release()
}

func (s *span) AddEvent(name string, t time.Time, attrs tracing.Attrs) {
	sc := getScratch()
	opts := sc.event[:0]
	if attrs.Len() > 0 {
		kvs := sc.convert(&attrs, 0)
		truncateKVs(kvs, s.b.valueLen)
		opts = append(opts, sc.option(kvs))
	}
	if !t.IsZero() {
		opts = append(opts, trace.WithTimestamp(t))
		sc.dirty = true
	}
	s.otel.AddEvent(name, opts...)
	sc.release()
}

// Exception event and attribute names from OpenTelemetry's semantic
// conventions.
const (
	exceptionEvent      = "exception"
	keyExceptionType    = "exception.type"
	keyExceptionMessage = "exception.message"
	keyExceptionStack   = "exception.stacktrace"
	keyErrorType        = "error.type"
)

// RecordError records the "exception" event and the span's error.type. It
// does not use the SDK's RecordError: that names types differently from
// the other backends and cannot leave the stack trace out on request only.
func (s *span) RecordError(info tracing.ErrorInfo) {
	if !s.otel.IsRecording() {
		return
	}
	sc := getScratch()
	kvs := append(sc.kvs[:0],
		attribute.String(keyExceptionType, info.Type),
		attribute.String(keyExceptionMessage, info.Message))
	if info.Stack != "" {
		kvs = append(kvs, attribute.String(keyExceptionStack, info.Stack))
	}
	truncateKVs(kvs, s.b.valueLen)
	sc.event[0] = sc.option(kvs)
	s.otel.AddEvent(exceptionEvent, sc.event[:1]...)
	if info.Type != "" {
		sc.kvs[0] = attribute.String(keyErrorType, info.Type)
		sc.used = max(sc.used, 1)
		s.otel.SetAttributes(sc.kvs[:1]...)
	}
	sc.release()
}

func (s *span) SetStatus(code tracing.StatusCode, description string) {
	switch code {
	case tracing.StatusError:
		s.otel.SetStatus(codes.Error, backendkit.TruncateString(description, s.b.valueLen))
	case tracing.StatusOK:
		s.otel.SetStatus(codes.Ok, "")
	}
}

func (s *span) End(t time.Time) {
	if !s.b.owned {
		s.b.noteEnd(s.otel)
	} else if s.b.closed.Load() {
		// After Shutdown: counted as dropped here, and not ended, so that
		// the batching processor (or the SDK, once shut down) never sees
		// it: one count per span.
		s.b.noteEnd(s.otel)
		return
	}
	if t.IsZero() {
		s.otel.End()
		return
	}
	s.otel.End(trace.WithTimestamp(t))
}

// newSpan wraps an OpenTelemetry span that tracer.Start returned in the
// facade's span node. parent is the context Start was given and octx the
// context it returned; the node replaces octx, except that when the Go
// execution tracer runs, octx carries the SDK's runtime/trace task, and
// when OpenTelemetry's context key is unknown, octx is how OpenTelemetry
// finds the span: it is kept then.
//
// The node inherits the facade's tracestate of the nearest facade span in
// parent, when OpenTelemetry's cannot hold it all (see tracestate.go).
func (b *Backend) newSpan(parent, octx context.Context, os trace.Span) *span {
	s := &span{Context: parent, otel: os, b: b}
	if sc := os.SpanContext(); sc.IsValid() {
		if ts := inheritedTraceState(parent, sc.TraceID()); ts != "" {
			s.ts = new(string) // only here: &ts would cost every span an allocation
			*s.ts = ts
		}
	}
	if rtrace.IsEnabled() || !otelKeyKnown {
		s.Context = octx
	}
	return s
}

// Start implements tracing.Backend.
func (b *Backend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	pctx := ctx
	if !cfg.NewRoot {
		pctx = otelContext(ctx)
	}
	name = backendkit.TruncateString(name, b.valueLen)
	// A span that starts a trace is started from a parent that gives it
	// the random flag (see rootParent); the node to be serves as that
	// parent when it can, so that this costs no allocation.
	sctx := pctx
	var node *span
	if cfg.NewRoot || !trace.SpanContextFromContext(pctx).IsValid() {
		if otelKeyKnown && !rtrace.IsEnabled() {
			node = &span{Context: pctx, b: b}
		}
		sctx = rootParent(pctx, node)
		cfg.NewRoot = false // sctx makes it one
	}
	var (
		octx context.Context
		os   trace.Span
	)
	if cfg.Attrs.Len() == 0 && cfg.Resource == "" && cfg.Service == "" && cfg.Type == "" &&
		cfg.StartTime.IsZero() && len(cfg.Links) == 0 {
		// Only kind and new root: their options are made once.
		octx, os = b.tracer.Start(sctx, name, fixedOptions(cfg.Kind, cfg.NewRoot)...)
	} else {
		octx, os = b.startWithScratch(sctx, name, &cfg)
	}
	if node != nil {
		node.otel = os
		return node, tracing.NewSpan(node)
	}
	s := b.newSpan(pctx, octx, os)
	return s, tracing.NewSpan(s)
}

// startWithScratch starts a span whose options are built for it, in a
// pooled scratch.
func (b *Backend) startWithScratch(ctx context.Context, name string, cfg *tracing.SpanConfig) (context.Context, trace.Span) {
	sc := getScratch()
	opts := append(sc.start[:0], fixedOptions(cfg.Kind, cfg.NewRoot)...)
	if !cfg.StartTime.IsZero() {
		opts = append(opts, trace.WithTimestamp(cfg.StartTime))
		sc.dirty = true
	}
	if len(cfg.Links) > 0 {
		opts = append(opts, trace.WithLinks(otelLinks(cfg.Links, b.valueLen)...))
		sc.dirty = true
	}
	if cfg.Attrs.Len() > 0 || cfg.Resource != "" || cfg.Service != "" || cfg.Type != "" {
		kvs := sc.convert(&cfg.Attrs, 3)
		if cfg.Resource != "" {
			kvs = append(kvs, attribute.String(tracing.KeyResource, cfg.Resource))
		}
		if cfg.Service != "" {
			kvs = append(kvs, attribute.String(tracing.KeyService, cfg.Service))
		}
		if cfg.Type != "" {
			kvs = append(kvs, attribute.String(tracing.KeySpanType, cfg.Type))
		}
		opts = append(opts, sc.option(kvs))
	}
	octx, os := b.tracer.Start(ctx, name, opts...)
	sc.release()
	return octx, os
}

// fixedOptions returns the options for a kind and the new-root flag. The
// slices are shared: OpenTelemetry only reads the options it is given.
func fixedOptions(k tracing.SpanKind, newRoot bool) []trace.SpanStartOption {
	if int(k) >= len(fixedOpts) {
		k = tracing.SpanKindInternal
	}
	if newRoot {
		return fixedOpts[k][1]
	}
	return fixedOpts[k][0]
}

var fixedOpts = func() (o [len(kindOptions)][2][]trace.SpanStartOption) {
	for k := range o {
		var kind []trace.SpanStartOption
		if k != int(tracing.SpanKindInternal) {
			kind = []trace.SpanStartOption{kindOptions[k]}
		}
		o[k][0] = kind
		o[k][1] = append(append([]trace.SpanStartOption(nil), kind...), newRootOption)
	}
	return o
}()

var (
	newRootOption = trace.WithNewRoot()
	// kindOptions is indexed by tracing.SpanKind.
	kindOptions = [...]trace.SpanStartOption{
		tracing.SpanKindInternal: trace.WithSpanKind(trace.SpanKindInternal),
		tracing.SpanKindServer:   trace.WithSpanKind(trace.SpanKindServer),
		tracing.SpanKindClient:   trace.WithSpanKind(trace.SpanKindClient),
		tracing.SpanKindProducer: trace.WithSpanKind(trace.SpanKindProducer),
		tracing.SpanKindConsumer: trace.WithSpanKind(trace.SpanKindConsumer),
	}
)

// otelLinks converts links, their string attribute values cut to valueLen
// characters (the SDK cuts only span attributes).
func otelLinks(links []tracing.Link, valueLen int) []trace.Link {
	out := make([]trace.Link, 0, len(links))
	for _, l := range links {
		la := tracing.AttrsOf(l.Attrs...) // drops empty keys
		kvs := convertAttrs(nil, &la)
		truncateKVs(kvs, valueLen)
		out = append(out, trace.Link{SpanContext: toOTel(l.SpanContext), Attributes: kvs})
	}
	return out
}

// convertAttrs appends attrs converted to OpenTelemetry's attributes to
// dst; OpenTelemetry's slice constructors copy slices, as the facade
// requires. Empty values are dropped. The conversion is written out in the
// loop: it runs for every attribute of every span.
func convertAttrs(dst []attribute.KeyValue, attrs *tracing.Attrs) []attribute.KeyValue {
	for i := range attrs.Len() {
		a := attrs.At(i)
		switch v := a.Value; v.Kind() {
		case tracing.KindString:
			dst = append(dst, attribute.String(a.Key, v.AsString()))
		case tracing.KindInt64:
			dst = append(dst, attribute.Int64(a.Key, v.AsInt64()))
		case tracing.KindBool:
			dst = append(dst, attribute.Bool(a.Key, v.AsBool()))
		case tracing.KindFloat64:
			dst = append(dst, attribute.Float64(a.Key, v.AsFloat64()))
		case tracing.KindStringSlice:
			dst = append(dst, attribute.StringSlice(a.Key, v.AsStringSlice()))
		case tracing.KindInt64Slice:
			dst = append(dst, attribute.Int64Slice(a.Key, v.AsInt64Slice()))
		case tracing.KindFloat64Slice:
			dst = append(dst, attribute.Float64Slice(a.Key, v.AsFloat64Slice()))
		case tracing.KindBoolSlice:
			dst = append(dst, attribute.BoolSlice(a.Key, v.AsBoolSlice()))
		}
	}
	return dst
}

// scratchAttrs is how many attributes a scratch holds.
const scratchAttrs = 16

// scratch holds what one call hands OpenTelemetry: the converted attributes
// and the option slices. OpenTelemetry's API takes them as variadic
// arguments of interface methods, which escape, so built on the stack they
// would be allocated on every call; a pooled scratch makes them free. It is
// safe to reuse because the SDK copies attributes and options (span and
// event configs) before Start, SetAttributes and AddEvent return.
type scratch struct {
	kvs [scratchAttrs]attribute.KeyValue
	// withKVs[n] is trace.WithAttributes(kvs[:n]...), made once: the
	// option is a slice header in an interface, which costs an allocation
	// each time it is made.
	withKVs [scratchAttrs + 1]trace.SpanStartEventOption
	start   [5]trace.SpanStartOption
	event   [2]trace.EventOption
	used    int  // how many of kvs to clear on release
	dirty   bool // start or event hold options made for one call
}

var scratchPool = sync.Pool{New: func() any {
	s := new(scratch)
	for i := range s.withKVs {
		s.withKVs[i] = trace.WithAttributes(s.kvs[:i:i]...)
	}
	return s
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// convert converts attrs into the scratch's attributes if they and room
// more fit, else into a new slice.
func (s *scratch) convert(attrs *tracing.Attrs, room int) []attribute.KeyValue {
	dst := s.kvs[:0]
	if n := attrs.Len() + room; n > scratchAttrs {
		dst = make([]attribute.KeyValue, 0, n)
	}
	kvs := convertAttrs(dst, attrs)
	if len(kvs) > 0 && &kvs[0] == &s.kvs[0] {
		s.used = len(kvs)
	}
	return kvs
}

// option returns trace.WithAttributes(kvs...), without allocating when
// kvs is the scratch's own.
func (s *scratch) option(kvs []attribute.KeyValue) trace.SpanStartEventOption {
	if n := len(kvs); n > 0 && &kvs[0] == &s.kvs[0] {
		s.used = max(s.used, n)
		return s.withKVs[n]
	}
	return trace.WithAttributes(kvs...)
}

// release clears what the scratch references that the caller brought (so
// that the pool keeps no caller's values alive) and returns it to the pool.
// The options made once (withKVs, kinds, new root) need no clearing.
func (s *scratch) release() {
	clear(s.kvs[:s.used])
	s.used = 0
	if s.dirty {
		s.start = [len(s.start)]trace.SpanStartOption{}
		s.event = [len(s.event)]trace.EventOption{}
		s.dirty = false
	}
	scratchPool.Put(s)
}
