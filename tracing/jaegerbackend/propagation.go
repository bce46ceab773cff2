package jaegerbackend

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
)

// Inject implements tracing.Propagator: it writes uber-trace-id and
// uberctx-* (FormatJaeger) and traceparent, tracestate and baggage
// (FormatW3C), as configured. Baggage is the facade's (which includes the
// jaeger baggage items of the span in ctx).
func (b *Backend) Inject(ctx context.Context, c tracing.Carrier) {
	bs := tracing.SpanFromContext(ctx).Backend()
	if bs == nil || c == nil {
		return
	}
	sc := bs.SpanContext()
	if !sc.IsValid() {
		return
	}
	if b.injectJaeger {
		var jc jaeger.SpanContext
		switch p := bs.(type) {
		case *span:
			jc = p.js.SpanContext()
		case *parentNode:
			jc = p.jc
		default:
			jc = jaegerContext(sc, nil)
		}
		jc = withBaggage(jc, tracing.BaggageFromContext(ctx))
		_ = b.native.Inject(jc, otCarrier{c})
	}
	if b.injectW3C {
		tracing.TraceContext{}.Inject(ctx, c)
		tracing.BaggagePropagator{}.Inject(ctx, c)
	}
}

// Extract implements tracing.Propagator. It accepts both formats whatever
// Inject writes: uber-trace-id when it is valid, else traceparent; baggage
// from uberctx-*, jaeger-baggage and the W3C baggage header (the jaeger
// items win on conflict). The tracestate is kept when traceparent names
// the same trace as the context used.
func (b *Backend) Extract(ctx context.Context, c tracing.Carrier) context.Context {
	if c == nil {
		return ctx
	}
	jc, err := b.extract(otCarrier{c})
	ctx = tracing.BaggagePropagator{}.Extract(ctx, c)
	if err == nil {
		if bag, changed := mergeItems(tracing.BaggageFromContext(ctx), jc); changed {
			ctx = tracing.ContextWithBaggage(ctx, bag)
		}
	}
	if err != nil || !jc.IsValid() {
		return ctx
	}
	// The tracestate and the random flag, which a jaeger span context
	// cannot hold, come from the traceparent when it names the same trace.
	ts, random := "", false
	if tp, ok := tracing.ExtractTraceContext(c); ok && tp.TraceID() == traceIDOf(jc) {
		ts, random = tp.TraceState(), tp.TraceFlags()&tracing.FlagsRandom != 0
	}
	return &parentNode{Context: ctx, jc: jc, sc: facadeContext(jc, ts, true, random)}
}

// extract reads a jaeger span context with the tracer, which marks it
// remote (so that its sampling decision is final for children), or with
// the codec alone when the tracer is disabled.
func (b *Backend) extract(c otCarrier) (jaeger.SpanContext, error) {
	if b.tracer == nil {
		return b.codecHTTP.Extract(c)
	}
	sc, err := b.tracer.Extract(opentracing.HTTPHeaders, c)
	if err != nil {
		return jaeger.SpanContext{}, err
	}
	jc, _ := sc.(jaeger.SpanContext)
	return jc, nil
}

// remoteContext converts a facade span context of another backend (or one
// tracing.ContextWithRemoteSpanContext made) into a jaeger parent marked
// remote, through the tracer's Extract and a private format.
func (b *Backend) remoteContext(sc tracing.SpanContext) jaeger.SpanContext {
	jsc, err := b.tracer.Extract(facadeFormat{}, &sc)
	if err != nil {
		return jaeger.SpanContext{}
	}
	jc, _ := jsc.(jaeger.SpanContext)
	return jc
}

// Fields implements tracing.Propagator.
func (b *Backend) Fields() []string {
	var f []string
	if b.injectJaeger {
		f = append(f, b.headers.TraceContextHeaderName)
	}
	if b.injectW3C {
		f = append(f, tracing.HeaderTraceparent, tracing.HeaderTracestate, tracing.HeaderBaggage)
	}
	return f
}

// Names reports the injected formats for the startup summary.
func (b *Backend) Names() []string {
	var n []string
	if b.injectJaeger {
		n = append(n, "jaeger")
	}
	if b.injectW3C {
		n = append(n, "tracecontext", "baggage")
	}
	return n
}

func traceIDOf(jc jaeger.SpanContext) tracing.TraceID {
	tid := jc.TraceID()
	return tracing.TraceIDFromUint64s(tid.High, tid.Low)
}

// mergeItems adds a jaeger context's baggage items to bag. An item whose
// key equals a member's ignoring case (HTTP headers lower-case uberctx-
// keys) replaces that member's value, keeping its key and properties when
// the value is the same.
func mergeItems(bag tracing.Baggage, jc jaeger.SpanContext) (tracing.Baggage, bool) {
	var keys []string
	items := map[string]string{}
	jc.ForeachBaggageItem(func(k, v string) bool {
		keys = append(keys, k)
		items[k] = v
		return true
	})
	if len(keys) == 0 {
		return bag, false
	}
	slices.Sort(keys)
	changed := false
	members := bag.Members()
	for _, k := range keys {
		v := items[k]
		key := k
		for _, m := range members {
			if strings.EqualFold(m.Key, k) {
				key = m.Key
				break
			}
		}
		if cur, ok := bag.Get(key); ok && cur == v {
			continue
		}
		if nb, err := bag.With(key, v); err == nil {
			bag, changed = nb, true
		}
	}
	return bag, changed
}

// facadeFormat is a private propagation format whose carrier is a
// *tracing.SpanContext: extracting it through the tracer turns a facade
// span context into a jaeger one marked remote.
type facadeFormat struct{}

type facadeExtractor struct{}

func (facadeExtractor) Extract(carrier any) (jaeger.SpanContext, error) {
	sc, ok := carrier.(*tracing.SpanContext)
	if !ok || sc == nil || !sc.IsValid() {
		return jaeger.SpanContext{}, opentracing.ErrSpanContextNotFound
	}
	return jaegerContext(*sc, nil), nil
}

// codec is the injector and extractor the backend registers with
// jaeger-client-go for opentracing.HTTPHeaders and opentracing.TextMap, so
// that code calling the jaeger tracer's Inject and Extract (through the
// OpenTracing API) also speaks W3C trace context: it writes jaeger's
// native headers and/or traceparent and baggage, and reads uber-trace-id
// first, traceparent otherwise. The tracestate and the random flag cannot
// be kept there: a jaeger span context has no room for them.
type codec struct {
	native      *jaeger.TextMapPropagator
	headers     *jaeger.HeadersConfig
	jaeger, w3c bool
}

func (c *codec) Inject(sc jaeger.SpanContext, carrier any) error {
	w, ok := carrier.(opentracing.TextMapWriter)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	if !sc.IsValid() {
		return opentracing.ErrInvalidSpanContext
	}
	if c.jaeger {
		if err := c.native.Inject(sc, carrier); err != nil {
			return err
		}
	}
	if c.w3c {
		w.Set(tracing.HeaderTraceparent, facadeContext(sc, "", false, false).Traceparent())
		if bag := baggageOf(tracing.Baggage{}, sc); bag.Len() > 0 {
			if s := tracing.FormatBaggage(bag); s != "" {
				w.Set(tracing.HeaderBaggage, s)
			}
		}
	}
	return nil
}

func (c *codec) Extract(carrier any) (jaeger.SpanContext, error) {
	r, ok := carrier.(opentracing.TextMapReader)
	if !ok {
		return jaeger.SpanContext{}, opentracing.ErrInvalidCarrier
	}
	jc, err := c.native.Extract(boundedReader{r, c.headers})
	tc := tracingCarrier(carrier)
	w3cBag := tracing.ParseBaggage(strings.Join(tracing.CarrierValues(tc, tracing.HeaderBaggage), ","))
	if err == nil && jc.IsValid() {
		return addMembers(jc, w3cBag), nil
	}
	if tp, ok := tracing.ExtractTraceContext(tc); ok {
		var items map[string]string
		if err == nil {
			jc.ForeachBaggageItem(func(k, v string) bool {
				if items == nil {
					items = map[string]string{}
				}
				items[k] = v
				return true
			})
		}
		return addMembers(jaegerContext(tp, items), w3cBag), nil
	}
	if err == nil {
		return addMembers(jc, w3cBag), nil
	}
	if w3cBag.Len() > 0 {
		return addMembers(jaeger.NewSpanContext(jaeger.TraceID{}, 0, 0, false, nil), w3cBag), nil
	}
	return jaeger.SpanContext{}, err
}

// addMembers adds W3C baggage members to jc's items, except where an item
// with the same key (ignoring case) is there already.
func addMembers(jc jaeger.SpanContext, bag tracing.Baggage) jaeger.SpanContext {
	for _, m := range bag.Members() {
		if m.Value == "" {
			continue
		}
		dup := false
		jc.ForeachBaggageItem(func(k, _ string) bool {
			dup = strings.EqualFold(k, m.Key)
			return !dup
		})
		if !dup {
			jc = jc.WithBaggageItem(m.Key, m.Value)
		}
	}
	return jc
}

// otCarrier adapts a facade carrier to OpenTracing's TextMapReader and
// TextMapWriter, for jaeger-client-go's codecs.
type otCarrier struct{ c tracing.Carrier }

func (o otCarrier) Set(key, val string) { o.c.Set(key, val) }

func (o otCarrier) ForeachKey(handler func(key, val string) error) error {
	var err error
	tracing.RangeKeys(o.c, func(k string) bool {
		err = handler(k, o.c.Get(k))
		return err == nil
	})
	return err
}

// boundedReader passes a carrier's keys to jaeger's extractor within the
// W3C baggage limits: at most tracing.MaxBaggageMembers uberctx- items of
// at most tracing.MaxBaggageBytes in all, and a jaeger-baggage header cut
// to as many entries and bytes. Keys jaeger's extractor does not read are
// not passed at all: it lower-cases every key it is given (one allocation
// each), so that a request with thousands of headers would otherwise cost
// as many allocations, and thousands of baggage headers time quadratic in
// their number.
type boundedReader struct {
	r opentracing.TextMapReader
	h *jaeger.HeadersConfig
}

func (b boundedReader) ForeachKey(handler func(key, val string) error) error {
	items, size := 0, 0
	return b.r.ForeachKey(func(key, val string) error {
		switch {
		case hasPrefixFold(key, b.h.TraceBaggageHeaderPrefix):
			items++
			size += len(key) + len(val)
			if items > tracing.MaxBaggageMembers || size > tracing.MaxBaggageBytes {
				return nil
			}
		case strings.EqualFold(key, b.h.JaegerBaggageHeader):
			val = limitEntries(val)
		case strings.EqualFold(key, b.h.TraceContextHeaderName), strings.EqualFold(key, b.h.JaegerDebugHeader):
		default:
			return nil // not read by jaeger's extractor
		}
		return handler(key, val)
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// limitEntries keeps the first entries of a comma-separated list within
// the baggage limits.
func limitEntries(s string) string {
	if len(s) > tracing.MaxBaggageBytes {
		s = s[:tracing.MaxBaggageBytes]
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			if n++; n == tracing.MaxBaggageMembers {
				return s[:i]
			}
		}
	}
	return s
}

// tracingCarrier gives a facade view of an OpenTracing carrier, for the
// W3C formats.
func tracingCarrier(carrier any) tracing.Carrier {
	switch c := carrier.(type) {
	case boundedReader:
		return tracingCarrier(c.r)
	case otCarrier:
		return c.c
	case opentracing.HTTPHeadersCarrier:
		return tracing.HeaderCarrier(c)
	case opentracing.TextMapCarrier:
		return tracing.MapCarrier(c)
	case opentracing.TextMapReader:
		h := http.Header{}
		_ = c.ForeachKey(func(k, v string) error {
			h.Add(k, v)
			return nil
		})
		return tracing.HeaderCarrier(h)
	}
	return tracing.MapCarrier{}
}
