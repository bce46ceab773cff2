package jaegerbackend

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// span is a facade span over a jaeger span and, in the same allocation,
// the context node that carries it. It answers Value for:
//
//   - tracing.ContextKey{}: itself, so tracing.SpanFromContext finds it;
//   - opentracing-go's context key: its *jaeger.Span, so
//     opentracing.SpanFromContext finds the jaeger span behind it;
//   - the facade's baggage key: its jaeger baggage items, so baggage set
//     through the OpenTracing API is seen by tracing.BaggageFromContext.
type span struct {
	context.Context // the parent context

	js *jaeger.Span
	// x holds what only some spans need, nil until needed: the node stays
	// small (96 bytes), and End need not lock when it is nil.
	x atomic.Pointer[spanExtra]

	// The arguments of jaeger's StartSpan, which the span itself applies
	// as a StartSpanOption so that starting a span allocates no options.
	ref    [1]opentracing.SpanReference // the parent, if hasRef
	links  *[]opentracing.SpanReference // every reference, when there are links
	start  int64                        // Unix nanoseconds; 0 means now
	kind   tracing.SpanKind
	hasRef bool
	// random is the W3C random trace id flag of the span's trace, which a
	// jaeger span context cannot hold (its flag 0x02 is jaeger's debug
	// flag): set on traces the backend starts (jaeger-client-go draws
	// trace ids at random), inherited on continued ones.
	random bool

	ended atomic.Bool
	// Attribute writes and events so far, for the count limits.
	writes, events atomic.Int32
	b              *Backend
}

// spanExtra holds what only some spans need.
type spanExtra struct {
	// Set before the span is shared, then read-only.
	traceState string          // inherited from the parent
	bag        tracing.Baggage // the facade baggage the span started with (keeps W3C properties)

	mu     sync.Mutex
	status tracing.StatusCode
	desc   string
	logs   []opentracing.LogRecord // events with their own timestamps, link annotations
}

// extra returns n.x, creating it.
func (n *span) extra() *spanExtra {
	if x := n.x.Load(); x != nil {
		return x
	}
	n.x.CompareAndSwap(nil, &spanExtra{})
	return n.x.Load()
}

// traceState returns the W3C tracestate the span inherited.
func (n *span) traceState() string {
	if x := n.x.Load(); x != nil {
		return x.traceState
	}
	return ""
}

// startBaggage returns the facade baggage the span started with.
func (n *span) startBaggage() tracing.Baggage {
	if x := n.x.Load(); x != nil {
		return x.bag
	}
	return tracing.Baggage{}
}

func (n *span) refs() []opentracing.SpanReference {
	switch {
	case n.links != nil:
		return *n.links
	case n.hasRef:
		return n.ref[:]
	}
	return nil
}

// Apply implements opentracing.StartSpanOption, for Backend.Start only.
func (n *span) Apply(o *opentracing.StartSpanOptions) {
	if o.References == nil {
		o.References = n.refs()
	} else {
		o.References = append(o.References, n.refs()...)
	}
	if n.start != 0 {
		o.StartTime = time.Unix(0, n.start)
	}
	if tags := startTags(n.kind); tags != nil {
		if o.Tags == nil {
			o.Tags = tags
		} else {
			for k, v := range tags {
				o.Tags[k] = v
			}
		}
	}
}

// emptyBaggage is boxed once, so that answering the baggage key for a span
// without baggage does not allocate.
var emptyBaggage any = tracing.Baggage{}

func (n *span) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(n)
	}
	if isOTKey(key) {
		return opentracing.Span(n.js)
	}
	if isBagKey(key) {
		b := baggageOf(n.startBaggage(), n.js.SpanContext())
		if b.Len() == 0 {
			return emptyBaggage
		}
		return b
	}
	if v, ok := tracing.ContextKeyValue(n, key, n); ok {
		return v
	}
	return n.Context.Value(key)
}

// ContextValue implements tracing.ContextValuer, for a span put into
// another context with tracing.ContextWithSpan.
func (n *span) ContextValue(key any) (any, bool) {
	if isOTKey(key) {
		return opentracing.Span(n.js), true
	}
	return nil, false
}

func (n *span) String() string { return "jaegerbackend.span" }

// Jaeger returns the jaeger span behind a facade span of this backend, or
// nil if s is not one: the way to reach jaeger-specific API from facade
// code.
func Jaeger(s tracing.Span) *jaeger.Span {
	if n, ok := s.Backend().(*span); ok {
		return n.js
	}
	return nil
}

// SpanContext converts the jaeger span's context when asked, rather than
// at start: starting a span then costs no more than with jaeger-client-go
// alone.
func (n *span) SpanContext() tracing.SpanContext {
	return facadeContext(n.js.SpanContext(), n.traceState(), false, n.random)
}

// sampled reports whether the jaeger span is sampled.
func (n *span) sampled() bool { return n.js.SpanContext().IsSampled() }

func (n *span) IsRecording() bool { return !n.ended.Load() && n.sampled() }

// SetName sets the operation name, cut as tag values are.
func (n *span) SetName(name string) {
	if !n.ended.Load() {
		n.js.SetOperationName(backendkit.TruncateString(name, n.b.lim.tagLen))
	}
}

// SetAttrs sets the attributes as tags. jaeger-client-go ignores tags on
// a span that is not sampled.
func (n *span) SetAttrs(attrs tracing.Attrs) {
	if n.ended.Load() {
		return
	}
	n.setTags(&attrs)
}

func (n *span) setTags(attrs *tracing.Attrs) {
	lim := &n.b.lim
	for i := range attrs.Len() {
		if lim.attrs >= 0 && int(n.writes.Add(1)) > lim.attrs {
			return
		}
		a := attrs.At(i)
		if backendkit.Truncated(a.Value, lim.tagLen) {
			a.Value = backendkit.TruncateValue(a.Value, lim.tagLen)
		}
		n.js.SetTag(tagKey(a.Key, n.kind), tagValue(a.Key, a.Value))
	}
}

// admitEvent reports whether the event count limit lets one more event
// (or error log) in.
func (n *span) admitEvent() bool {
	l := n.b.lim.events
	return l < 0 || int(n.events.Add(1)) <= l
}

// logFields converts an event's attributes, within the limits.
func (n *span) logFields(fields []log.Field, attrs *tracing.Attrs) []log.Field {
	lim := &n.b.lim
	for i := range attrs.Len() {
		if lim.eventFields >= 0 && i >= lim.eventFields {
			break
		}
		a := attrs.At(i)
		if backendkit.Truncated(a.Value, lim.logLen) {
			a.Value = backendkit.TruncateValue(a.Value, lim.logLen)
		}
		fields = append(fields, logField(a.Key, a.Value))
	}
	return fields
}

func (n *span) AddEvent(name string, t time.Time, attrs tracing.Attrs) {
	if n.ended.Load() || !n.sampled() || !n.admitEvent() {
		return
	}
	fields := make([]log.Field, 0, attrs.Len()+1)
	fields = append(fields, log.String(backendkit.OTFieldEvent, name))
	fields = n.logFields(fields, &attrs)
	if t.IsZero() {
		n.js.LogFields(fields...)
		return
	}
	// jaeger-client-go's LogFields stamps the current time; records with
	// their own time are handed over when the span finishes.
	x := n.extra()
	x.mu.Lock()
	defer x.mu.Unlock()
	if !n.ended.Load() {
		x.logs = append(x.logs, opentracing.LogRecord{Timestamp: t, Fields: fields})
	}
}

func (n *span) RecordError(info tracing.ErrorInfo) {
	if n.ended.Load() || !n.sampled() || !n.admitEvent() {
		return
	}
	ll := n.b.lim.logLen
	msg := backendkit.TruncateString(info.Message, ll)
	fields := make([]log.Field, 0, 5)
	fields = append(fields,
		log.String(backendkit.OTFieldEvent, eventError),
		log.String(backendkit.OTFieldErrorObject, msg),
		log.String(backendkit.OTFieldErrorKind, backendkit.TruncateString(info.Type, ll)),
		log.String(backendkit.OTFieldMessage, msg))
	if info.Stack != "" {
		fields = append(fields, log.String(backendkit.OTFieldStack, backendkit.TruncateString(info.Stack, ll)))
	}
	n.js.LogFields(fields...)
}

func (n *span) SetStatus(code tracing.StatusCode, desc string) {
	if n.ended.Load() {
		return
	}
	x := n.extra()
	x.mu.Lock()
	defer x.mu.Unlock()
	if n.ended.Load() {
		return
	}
	// As OpenTelemetry: Unset < Error < OK; a lower code never replaces a
	// higher one. Tags are written at End, so that the span carries one
	// final status.
	if code < x.status {
		return
	}
	x.status = code
	x.desc = ""
	if code == tracing.StatusError {
		x.desc = backendkit.TruncateString(desc, n.b.lim.tagLen)
	}
}

func (n *span) End(t time.Time) {
	if !n.ended.CompareAndSwap(false, true) {
		return
	}
	opts := opentracing.FinishOptions{FinishTime: t}
	if x := n.x.Load(); x != nil {
		x.mu.Lock()
		status, desc := x.status, x.desc
		opts.LogRecords = x.logs
		x.mu.Unlock()
		switch status {
		case tracing.StatusError:
			ext.Error.Set(n.js, true)
			n.js.SetTag(tagStatusCode, "ERROR")
			if desc != "" {
				n.js.SetTag(tagStatusDescription, desc)
			}
		case tracing.StatusOK:
			n.js.SetTag(tagStatusCode, "OK")
		}
	}
	n.js.FinishWithOptions(opts)
}

// parentNode is a context node carrying a jaeger span context that is not
// a span of this process's facade: one extracted from a request (remote),
// or a jaeger span's context handed to otshim. It is a non-recording
// facade span at the same time.
type parentNode struct {
	context.Context
	backendkit.NoopSpan
	jc jaeger.SpanContext
	sc tracing.SpanContext
}

func (p *parentNode) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(p)
	}
	return p.Context.Value(key)
}

func (p *parentNode) String() string { return "jaegerbackend.parent" }

func (p *parentNode) SpanContext() tracing.SpanContext { return p.sc }

// facadeContext converts a valid jaeger span context, with the W3C random
// flag given (see span.random). Jaeger's debug and firehose flags have no
// W3C equivalent and are not carried over.
func facadeContext(jc jaeger.SpanContext, traceState string, remote, random bool) tracing.SpanContext {
	if !jc.IsValid() {
		return tracing.SpanContext{}
	}
	tid := jc.TraceID()
	var flags tracing.TraceFlags
	if jc.IsSampled() {
		flags = tracing.FlagsSampled
	}
	if random {
		flags |= tracing.FlagsRandom
	}
	return tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID:    tracing.TraceIDFromUint64s(tid.High, tid.Low),
		SpanID:     tracing.SpanIDFromUint64(uint64(jc.SpanID())),
		TraceFlags: flags,
		TraceState: traceState,
		Remote:     remote,
	})
}

// jaegerContext converts a facade span context (not marked remote: only
// jaeger's Extract can do that, see Backend.remoteContext).
func jaegerContext(sc tracing.SpanContext, baggage map[string]string) jaeger.SpanContext {
	tid := sc.TraceID()
	return jaeger.NewSpanContext(jaeger.TraceID{High: tid.High64(), Low: tid.Low64()},
		jaeger.SpanID(sc.SpanID().Uint64()), 0, sc.IsSampled(), baggage)
}

// baggageOf returns the facade view of a jaeger span context's baggage
// items: bag itself while the items match it (keeping its order and W3C
// properties), else the items, those of bag first in bag's order.
func baggageOf(bag tracing.Baggage, jc jaeger.SpanContext) tracing.Baggage {
	n, same := 0, true
	jc.ForeachBaggageItem(func(k, v string) bool {
		n++
		if bv, ok := bag.Get(k); !ok || bv != v {
			same = false
		}
		return same
	})
	if same && n == bag.Len() {
		return bag
	}
	items := map[string]string{}
	jc.ForeachBaggageItem(func(k, v string) bool { items[k] = v; return true })
	var out tracing.Baggage
	for _, m := range bag.Members() {
		if v, ok := items[m.Key]; ok {
			if nb, err := out.With(m.Key, v); err == nil {
				out = nb
			}
			delete(items, m.Key)
		}
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if nb, err := out.With(k, items[k]); err == nil {
			out = nb
		}
	}
	return out
}

// withBaggage returns jc with exactly bag's members as baggage items
// (members with an empty value, which jaeger cannot hold, aside), or jc
// itself if it has them already.
func withBaggage(jc jaeger.SpanContext, bag tracing.Baggage) jaeger.SpanContext {
	if bag.Len() == 0 && !hasItems(&jc) {
		return jc
	}
	n, same := 0, true
	jc.ForeachBaggageItem(func(k, v string) bool {
		n++
		if bv, ok := bag.Get(k); !ok || bv != v {
			same = false
		}
		return same
	})
	want := 0
	members := bag.Members()
	for _, m := range members {
		if m.Value != "" {
			want++
		}
	}
	if same && n == want {
		return jc
	}
	var remove []string
	jc.ForeachBaggageItem(func(k, _ string) bool {
		if v, ok := bag.Get(k); !ok || v == "" {
			remove = append(remove, k)
		}
		return true
	})
	for _, k := range remove {
		jc = jc.WithBaggageItem(k, "")
	}
	for _, m := range members {
		if m.Value != "" {
			jc = jc.WithBaggageItem(m.Key, m.Value)
		}
	}
	return jc
}
