package tracing

import (
	"context"
	"slices"
)

// Propagator writes a span context into a Carrier and reads one back, in one
// or more wire formats. Inject and Extract never fail: what cannot be read is
// ignored. Backends implement it with their vendor's formats; the Tracer
// uses it for Inject and Extract.
type Propagator interface {
	// Inject writes the context of the span in ctx, and ctx's baggage,
	// into c. It writes nothing for an invalid span context.
	Inject(ctx context.Context, c Carrier)
	// Extract returns ctx carrying what it read from c: a remote span
	// context (see ContextWithRemoteSpanContext) and baggage.
	Extract(ctx context.Context, c Carrier) context.Context
	// Fields returns the keys Inject may write.
	Fields() []string
}

// Names reports a propagator's format names ("tracecontext", "baggage",
// "datadog", …) for the startup summary.
type Names interface {
	Names() []string
}

// PropagatorNames returns p's format names, or nil if p does not say.
func PropagatorNames(p Propagator) []string {
	if n, ok := p.(Names); ok {
		return n.Names()
	}
	return nil
}

// CompositePropagator combines propagators: Inject writes every format;
// Extract takes the span context from the first propagator, in the given
// order, that finds a valid one, and baggage from all of them.
func CompositePropagator(ps ...Propagator) Propagator {
	var flat composite
	for _, p := range ps {
		switch p := p.(type) {
		case nil:
		case composite:
			flat = append(flat, p...)
		default:
			flat = append(flat, p)
		}
	}
	return flat
}

type composite []Propagator

func (c composite) Inject(ctx context.Context, carrier Carrier) {
	for _, p := range c {
		p.Inject(ctx, carrier)
	}
}

// Extract runs the propagators in reverse order so that each earlier one
// overrides what a later one found: the first listed format wins.
func (c composite) Extract(ctx context.Context, carrier Carrier) context.Context {
	for i := len(c) - 1; i >= 0; i-- {
		ctx = c[i].Extract(ctx, carrier)
	}
	return ctx
}

func (c composite) Fields() []string {
	var f []string
	for _, p := range c {
		for _, k := range p.Fields() {
			if !slices.Contains(f, k) {
				f = append(f, k)
			}
		}
	}
	return f
}

func (c composite) Names() []string {
	var n []string
	for _, p := range c {
		n = append(n, PropagatorNames(p)...)
	}
	return n
}

// defaultPropagator is W3C trace context plus W3C baggage.
var defaultPropagator = CompositePropagator(TraceContext{}, BaggagePropagator{})

// DefaultPropagator returns the propagator of backends that do not bring
// their own: W3C trace context and W3C baggage.
func DefaultPropagator() Propagator { return defaultPropagator }
