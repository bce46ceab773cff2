package otshim

import (
	"context"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/tracing"
)

// span is an opentracing.Span over a facade span. The facade span is
// started lazily (see Tracer.StartSpan); until then the span records what
// to start it with.
type span struct {
	tracer *Tracer
	ft     *tracing.Tracer

	mu      sync.Mutex
	started bool
	fs      tracing.Span    // the facade span, once started
	ctx     context.Context // carries fs and the span's baggage, once started
	hooked  bool            // ctx was built on the context of the first hook

	// What to start the span with.
	name   string
	start  time.Time
	refs   []opentracing.SpanReference
	kind   tracing.SpanKind
	attrs  []tracing.Attr
	failed bool
}

// pendingTag records a tag given before the facade span starts; kind and
// the error flag are start options there.
func (s *span) pendingTag(key string, value any) {
	switch key {
	case tagSpanKind:
		if k, ok := spanKind(value); ok {
			s.kind = k
			return
		}
	case tagError:
		s.failed = s.failed || isTrue(value)
		return
	case tagSamplingPriority:
		return
	}
	if a, ok := attr(key, value); ok {
		s.attrs = append(s.attrs, a)
	}
}

// ensure starts the facade span if it has not started. hookCtx is the
// context of opentracing.ContextWithSpan when it is the caller, else nil.
func (s *span) ensure() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureLocked(hookContext{})
}

// hookContext is the context ContextWithSpanHook was called with, if the
// span is being started from there (ctx is nil otherwise).
type hookContext struct{ ctx context.Context }

func (s *span) ensureLocked(hook hookContext) {
	if s.started {
		return
	}
	s.started = true
	parent, links, fromHook := s.parent(hook.ctx)
	opts := make([]tracing.StartOption, 0, 4)
	opts = append(opts, tracing.WithStartTime(s.start), tracing.WithKind(s.kind))
	if len(s.attrs) > 0 {
		opts = append(opts, tracing.WithAttrs(s.attrs...))
	}
	if len(links) > 0 {
		opts = append(opts, tracing.WithLinks(links...))
	}
	s.ctx, s.fs = s.ft.Start(parent, s.name, opts...)
	s.hooked = fromHook
	if s.failed {
		s.fs.SetStatus(tracing.StatusError, "")
	}
	s.attrs, s.refs = nil, nil
}

// parent chooses the context to start the facade span from, and the
// links. See Tracer.StartSpan for the rules.
func (s *span) parent(hookCtx context.Context) (ctx context.Context, links []tracing.Link, fromHook bool) {
	refs := s.refs
	if hookCtx != nil && len(refs) > 0 {
		refs = s.dropAutoRef(hookCtx, refs)
	}
	pick := -1
	for i, r := range refs {
		if r.Type == opentracing.ChildOfRef {
			if _, ok := s.tracer.refContext(s.ft, r.ReferencedContext); ok {
				pick = i
				break
			}
		}
	}
	if pick < 0 && hookCtx == nil {
		for i, r := range refs {
			if _, ok := s.tracer.refContext(s.ft, r.ReferencedContext); ok {
				pick = i
				break
			}
		}
	}
	for i, r := range refs {
		rc, ok := s.tracer.refContext(s.ft, r.ReferencedContext)
		if !ok {
			continue
		}
		if i == pick {
			ctx = rc
			continue
		}
		if sc := tracing.SpanFromContext(rc).SpanContext(); sc.IsValid() {
			typ := "child_of"
			if r.Type == opentracing.FollowsFromRef {
				typ = "follows_from"
			}
			links = append(links, tracing.Link{SpanContext: sc, Attrs: []tracing.Attr{tracing.String(attrRefType, typ)}})
		}
	}
	switch {
	case ctx != nil:
		return ctx, links, false
	case hookCtx != nil:
		return hookCtx, links, true
	default:
		return context.Background(), links, false
	}
}

// dropAutoRef removes the reference StartSpanFromContext appends for the
// OpenTracing span of its context (the last one, a ChildOf naming the span
// opentracing.SpanFromContext(hookCtx) returns): the facade span in that
// context is the innermost parent, and the hook's context carries it. If
// that facade span is the referenced span itself, the baggage the
// referenced span has set since is carried over.
func (s *span) dropAutoRef(hookCtx context.Context, refs []opentracing.SpanReference) []opentracing.SpanReference {
	last := refs[len(refs)-1]
	ot := opentracing.SpanFromContext(hookCtx)
	if ot == nil || last.Type != opentracing.ChildOfRef {
		return refs
	}
	want, okWant := s.tracer.identity(s.ft, ot.Context())
	got, okGot := s.tracer.identity(s.ft, last.ReferencedContext)
	if okWant != okGot || okWant && (want.TraceID() != got.TraceID() || want.SpanID() != got.SpanID()) {
		return refs
	}
	return refs[:len(refs)-1]
}

// hook is ContextWithSpanHook for this span.
func (s *span) hook(ctx context.Context) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		if rc, ok := s.inheritedBaggage(ctx); ok {
			ctx = rc
		}
		s.ensureLocked(hookContext{ctx})
		if s.hooked {
			return s.ctx
		}
	}
	out := tracing.ContextWithSpan(ctx, s.fs)
	if bag := tracing.BaggageFromContext(s.ctx); !sameBaggage(bag, tracing.BaggageFromContext(out)) {
		out = tracing.ContextWithBaggage(out, bag)
	}
	return out
}

// inheritedBaggage handles baggage set on a shim span after it was put in
// a context (SetBaggageItem changes the span, not the context): when the
// span StartSpanFromContext found in ctx is a shim span whose facade span
// is also ctx's innermost facade span, its current baggage is what a child
// inherits.
func (s *span) inheritedBaggage(ctx context.Context) (context.Context, bool) {
	ot, ok := opentracing.SpanFromContext(ctx).(*span)
	if !ok || ot == s {
		return nil, false
	}
	ot.mu.Lock()
	octx, ofs := ot.ctx, ot.fs
	ot.mu.Unlock()
	if octx == nil || tracing.SpanFromContext(ctx).Backend() != ofs.Backend() || ofs.Backend() == nil {
		return nil, false
	}
	bag := tracing.BaggageFromContext(octx)
	if sameBaggage(bag, tracing.BaggageFromContext(ctx)) {
		return nil, false
	}
	return tracing.ContextWithBaggage(ctx, bag), true
}

func sameBaggage(a, b tracing.Baggage) bool {
	if a.Len() != b.Len() {
		return false
	}
	for _, m := range a.Members() {
		if v, ok := b.Get(m.Key); !ok || v != m.Value {
			return false
		}
	}
	return true
}

// Finish implements opentracing.Span.
func (s *span) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

// FinishWithOptions implements opentracing.Span: the log records become
// events at their timestamps, then the span ends at FinishTime (now if
// zero).
func (s *span) FinishWithOptions(opts opentracing.FinishOptions) {
	s.ensure()
	for _, lr := range opts.LogRecords {
		s.logAt(lr.Timestamp, lr.Fields)
	}
	for _, ld := range opts.BulkLogData {
		lr := ld.ToLogRecord()
		s.logAt(lr.Timestamp, lr.Fields)
	}
	if opts.FinishTime.IsZero() {
		s.fs.End()
	} else {
		s.fs.EndAt(opts.FinishTime)
	}
}

// Context implements opentracing.Span. The span context carries the
// span's current baggage.
func (s *span) Context() opentracing.SpanContext {
	s.ensure()
	s.mu.Lock()
	defer s.mu.Unlock()
	return &spanContext{ctx: s.ctx, sc: s.fs.SpanContext()}
}

// SetOperationName implements opentracing.Span.
func (s *span) SetOperationName(name string) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.name = name
		return s
	}
	s.fs.SetName(name)
	return s
}

// SetTag implements opentracing.Span, mapping OpenTracing's standard tags
// to the facade's (see the package documentation).
func (s *span) SetTag(key string, value any) opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.pendingTag(key, value)
		return s
	}
	switch key {
	case tagError:
		if isTrue(value) {
			s.fs.SetStatus(tracing.StatusError, "")
		}
		return s
	case tagSamplingPriority:
		return s
	}
	if a, ok := attr(key, value); ok {
		s.fs.SetAttrs(a)
	}
	return s
}

// LogFields implements opentracing.Span (see logAt).
func (s *span) LogFields(fields ...log.Field) {
	s.ensure()
	s.logAt(time.Time{}, fields)
}

// LogKV implements opentracing.Span.
func (s *span) LogKV(kv ...any) {
	fields, err := log.InterleavedKVToFields(kv...)
	if err != nil {
		s.ensure()
		s.fs.AddEvent("log", tracing.String(attrLogError, err.Error()))
		return
	}
	s.LogFields(fields...)
}

// SetBaggageItem implements opentracing.Span with the facade's baggage. A
// key that is not an HTTP token (which W3C baggage requires) is ignored.
func (s *span) SetBaggageItem(key, value string) opentracing.Span {
	s.ensure()
	s.mu.Lock()
	defer s.mu.Unlock()
	if nb, err := tracing.BaggageFromContext(s.ctx).With(key, value); err == nil {
		s.ctx = tracing.ContextWithBaggage(s.ctx, nb)
	}
	return s
}

// BaggageItem implements opentracing.Span.
func (s *span) BaggageItem(key string) string {
	s.ensure()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := tracing.BaggageFromContext(s.ctx).Get(key)
	return v
}

// Tracer implements opentracing.Span.
func (s *span) Tracer() opentracing.Tracer { return s.tracer }

// LogEvent implements the deprecated opentracing.Span method.
func (s *span) LogEvent(event string) { s.Log(opentracing.LogData{Event: event}) }

// LogEventWithPayload implements the deprecated opentracing.Span method.
func (s *span) LogEventWithPayload(event string, payload any) {
	s.Log(opentracing.LogData{Event: event, Payload: payload})
}

// Log implements the deprecated opentracing.Span method.
func (s *span) Log(ld opentracing.LogData) {
	s.ensure()
	ts := ld.Timestamp
	lr := ld.ToLogRecord()
	s.logAt(ts, lr.Fields)
}

// spanContext is the shim's opentracing.SpanContext: a facade context
// carrying the span (local or remote) and the baggage.
type spanContext struct {
	ctx context.Context
	sc  tracing.SpanContext
}

// ForeachBaggageItem implements opentracing.SpanContext.
func (c *spanContext) ForeachBaggageItem(handler func(k, v string) bool) {
	for _, m := range tracing.BaggageFromContext(c.ctx).Members() {
		if !handler(m.Key, m.Value) {
			return
		}
	}
}

// SpanContext returns the facade span context an OpenTracing span context
// of the shim stands for, so that code holding one can reach facade API
// (tracing.ContextWithRemoteSpanContext, links, log correlation).
func SpanContext(sc opentracing.SpanContext) (tracing.SpanContext, bool) {
	c, ok := sc.(*spanContext)
	if !ok || c == nil {
		return tracing.SpanContext{}, false
	}
	return c.sc, c.sc.IsValid()
}

var _ opentracing.Span = (*span)(nil)
