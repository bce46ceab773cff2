package jaegerbackend

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"github.com/polytrace/polytrace/tracing"
)

// keyProbe is a context whose Value records the key it was asked for. It
// finds the unexported context keys of opentracing-go and of the facade's
// baggage without reflection or unsafe: each package's own lookup function
// is called once with a probe, and asks it for exactly its key.
type keyProbe struct {
	context.Context
	key   any
	asked bool
}

func (p *keyProbe) Value(key any) any {
	if !p.asked {
		p.key, p.asked = key, true
	}
	return nil
}

func probeKey(lookup func(context.Context)) (any, bool) {
	p := &keyProbe{Context: context.Background()}
	lookup(p)
	if !p.asked || p.key == nil {
		return nil, false
	}
	// A key that is already one the span node answers would be a sign
	// that the package changed how it looks things up: do not guess.
	if _, ok := p.key.(tracing.ContextKey); ok {
		return nil, false
	}
	return p.key, true
}

var (
	// otKey is the key under which opentracing.ContextWithSpan stores the
	// active span; span nodes answer it with their jaeger span, so that
	// opentracing.SpanFromContext finds the span behind a facade span.
	otKey, otKeyOK = probeKey(func(ctx context.Context) { opentracing.SpanFromContext(ctx) })

	// bagKey is the key under which tracing.ContextWithBaggage stores the
	// facade's baggage; span nodes answer it with their jaeger baggage
	// items, so that items set through the OpenTracing API are seen by
	// tracing.BaggageFromContext.
	bagKey, bagKeyOK = probeKey(func(ctx context.Context) { tracing.BaggageFromContext(ctx) })
)

func isOTKey(key any) bool  { return otKeyOK && key == otKey }
func isBagKey(key any) bool { return bagKeyOK && key == bagKey }
