package otshim

import (
	"context"
	"net/http"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracing"
)

// Tracer is an opentracing.Tracer whose spans are facade spans: they go to
// whatever backend the facade tracer has, nest under facade spans and
// facade spans nest under them. Its zero value uses tracing.Default() at
// each call, so it follows later tracing.SetDefault calls.
type Tracer struct {
	t *tracing.Tracer
}

// An Option configures a Tracer.
type Option func(*Tracer)

// WithTracer makes the shim use t instead of tracing.Default().
func WithTracer(t *tracing.Tracer) Option { return func(s *Tracer) { s.t = t } }

// New returns a shim over tracing.Default() (or the tracer WithTracer
// gives). A legacy service adds one line:
//
//	opentracing.SetGlobalTracer(otshim.New())
func New(opts ...Option) *Tracer {
	t := &Tracer{}
	for _, o := range opts {
		if o != nil {
			o(t)
		}
	}
	return t
}

func (t *Tracer) facade() *tracing.Tracer {
	if t != nil && t.t != nil {
		return t.t
	}
	return tracing.Default()
}

// ParentBridge is implemented by backends whose own spans are OpenTracing
// spans too (jaegerbackend.Backend): given a span context of theirs, they
// return a context carrying it as a parent. The shim uses it for
// references to such span contexts, which a context of a facade span
// yields through opentracing.SpanFromContext with those backends.
type ParentBridge interface {
	ContextWithOpenTracingParent(ctx context.Context, sc opentracing.SpanContext) (context.Context, bool)
}

// StartSpan implements opentracing.Tracer. The span is started on the
// facade when first needed: at once when opentracing.ContextWithSpan (and
// so StartSpanFromContext) puts it into a context, which then becomes its
// parent if it carries a facade span, otherwise at its first use. Until
// then SetTag and SetOperationName only record what to start it with, so
// that span.kind set right after StartSpan is still the span's kind.
//
// References: the first ChildOf reference is the parent, or, lacking one,
// the first FollowsFrom reference (as jaeger-client-go does); the others
// become links with the attribute opentracing.ref_type. The reference
// StartSpanFromContext adds for the span found in the context yields to
// the innermost facade span of that context.
func (t *Tracer) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var o opentracing.StartSpanOptions
	for _, opt := range opts {
		if opt != nil {
			opt.Apply(&o)
		}
	}
	s := &span{tracer: t, ft: t.facade(), name: name, start: o.StartTime, refs: o.References}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	for k, v := range o.Tags {
		s.pendingTag(k, v)
	}
	return s
}

// ContextWithSpanHook implements opentracing.TracerContextWithSpanExtension:
// opentracing.ContextWithSpan calls it, and the shim puts the facade span
// (and its baggage) into the context, so that facade spans started from
// the result are children of the shim's span.
func (t *Tracer) ContextWithSpanHook(ctx context.Context, sp opentracing.Span) context.Context {
	s, ok := sp.(*span)
	if !ok || ctx == nil {
		return ctx
	}
	return s.hook(ctx)
}

// Inject implements opentracing.Tracer with the facade tracer's
// propagator (so the backend's formats: W3C trace context everywhere,
// plus uber-trace-id with jaeger, x-datadog-* with datadog). Formats
// opentracing.HTTPHeaders and opentracing.TextMap take any
// opentracing.TextMapWriter; opentracing.Binary is not supported.
func (t *Tracer) Inject(sc opentracing.SpanContext, format any, carrier any) error {
	if format != opentracing.HTTPHeaders && format != opentracing.TextMap {
		return opentracing.ErrUnsupportedFormat
	}
	ft := t.facade()
	ctx, ok := t.refContext(ft, sc)
	if !ok {
		return opentracing.ErrInvalidSpanContext
	}
	c, ok := writeCarrier(carrier)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	ft.Inject(ctx, c)
	return nil
}

// Extract implements opentracing.Tracer with the facade tracer's
// propagator. The span context it returns carries the remote parent and
// the baggage; it is the parent of spans started with
// opentracing.ChildOf(it) (or ext.RPCServerOption(it)).
func (t *Tracer) Extract(format any, carrier any) (opentracing.SpanContext, error) {
	if format != opentracing.HTTPHeaders && format != opentracing.TextMap {
		return nil, opentracing.ErrUnsupportedFormat
	}
	c, ok := readCarrier(carrier)
	if !ok {
		return nil, opentracing.ErrInvalidCarrier
	}
	ctx := t.facade().Extract(context.Background(), c)
	sc := tracing.SpanFromContext(ctx).SpanContext()
	if !sc.IsValid() && tracing.BaggageFromContext(ctx).Len() == 0 {
		return nil, opentracing.ErrSpanContextNotFound
	}
	return &spanContext{ctx: ctx, sc: sc}, nil
}

// refContext returns a context carrying sc as the parent for facade
// spans: sc's own for the shim's span contexts, the backend's conversion
// for its vendor's (see ParentBridge).
func (t *Tracer) refContext(ft *tracing.Tracer, sc opentracing.SpanContext) (context.Context, bool) {
	switch c := sc.(type) {
	case nil:
		return nil, false
	case *spanContext:
		return c.ctx, true
	}
	if b, ok := ft.Backend().(ParentBridge); ok {
		if ctx, ok := b.ContextWithOpenTracingParent(context.Background(), sc); ok {
			return ctx, true
		}
	}
	return nil, false
}

// identity returns the facade span context a reference names, if the shim
// can tell.
func (t *Tracer) identity(ft *tracing.Tracer, sc opentracing.SpanContext) (tracing.SpanContext, bool) {
	ctx, ok := t.refContext(ft, sc)
	if !ok {
		return tracing.SpanContext{}, false
	}
	id := tracing.SpanFromContext(ctx).SpanContext()
	return id, id.IsValid()
}

// writeCarrier adapts an OpenTracing carrier for Inject.
func writeCarrier(carrier any) (tracing.Carrier, bool) {
	switch c := carrier.(type) {
	case opentracing.HTTPHeadersCarrier:
		return tracing.HeaderCarrier(c), true
	case http.Header:
		return tracing.HeaderCarrier(c), true
	case opentracing.TextMapCarrier:
		return textMap(c), true
	case opentracing.TextMapWriter:
		return writerOnly{c}, true
	}
	return nil, false
}

// readCarrier adapts an OpenTracing carrier for Extract.
func readCarrier(carrier any) (tracing.Carrier, bool) {
	switch c := carrier.(type) {
	case opentracing.HTTPHeadersCarrier:
		return tracing.HeaderCarrier(c), true
	case http.Header:
		return tracing.HeaderCarrier(c), true
	case opentracing.TextMapCarrier:
		return tracing.MapCarrier(c), true
	case opentracing.TextMapReader:
		h := http.Header{}
		if err := c.ForeachKey(func(k, v string) error { h.Add(k, v); return nil }); err != nil {
			return nil, false
		}
		return tracing.HeaderCarrier(h), true
	}
	return nil, false
}

// textMap is a TextMapCarrier as a facade carrier that, unlike
// tracing.MapCarrier, keeps the case of the keys it writes (as OpenTracing
// TextMap users expect) while reading them in any case.
type textMap opentracing.TextMapCarrier

func (m textMap) Get(key string) string { return tracing.MapCarrier(m).Get(key) }
func (m textMap) Set(key, value string) { m[key] = value }
func (m textMap) Keys() []string        { return tracing.MapCarrier(m).Keys() }

// writerOnly is a TextMapWriter as a facade carrier for Inject, which only
// writes.
type writerOnly struct{ w opentracing.TextMapWriter }

func (w writerOnly) Get(string) string     { return "" }
func (w writerOnly) Set(key, value string) { w.w.Set(key, value) }
func (w writerOnly) Keys() []string        { return nil }

var (
	_ opentracing.Tracer                         = (*Tracer)(nil)
	_ opentracing.TracerContextWithSpanExtension = (*Tracer)(nil)
)
