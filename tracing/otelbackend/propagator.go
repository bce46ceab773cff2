package otelbackend

import (
	"context"
	"strings"

	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
)

// A tracing.Carrier has exactly the methods of OpenTelemetry's
// TextMapCarrier (and tracing.ValuesGetter those of propagation.ValuesGetter),
// so carriers pass from one API to the other as they are, keeping their
// ability to return several values for a key.
var (
	_ propagation.TextMapCarrier = tracing.Carrier(nil)
	_ propagation.ValuesGetter   = tracing.ValuesGetter(nil)
)

// propagator is the backend's propagation, for both APIs: it implements
// OpenTelemetry's TextMapPropagator (installed as the global one) and
// backs the backend's tracing.Propagator methods. Around the vendor
// propagators it keeps the facade's baggage and OpenTelemetry's in sync
// and makes an extracted span context visible to tracing.SpanFromContext.
type propagator struct {
	inject  propagation.TextMapPropagator
	extract propagation.TextMapPropagator
	names   []string
}

var _ propagation.TextMapPropagator = (*propagator)(nil)

// defaultPropagator injects W3C trace context and baggage and also extracts
// Jaeger's uber-trace-id and Datadog's x-datadog-* headers. OpenTelemetry's
// composite propagator lets each extractor override the ones before it, so
// the order below makes W3C win over Jaeger, and Jaeger over Datadog.
func defaultPropagator() *propagator {
	return &propagator{
		inject:  propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		extract: propagation.NewCompositeTextMapPropagator(Datadog{}, jaeger.Jaeger{}, propagation.TraceContext{}, propagation.Baggage{}),
		names:   []string{"tracecontext", "baggage", "jaeger(extract)", "datadog(extract)"},
	}
}

// Inject writes the span context and baggage of ctx into c. The facade's
// baggage is merged into OpenTelemetry's (the facade's value wins for a key
// both hold).
func (p *propagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	ctx = otelContext(ctx)
	if fb := tracing.BaggageFromContext(ctx); fb.Len() > 0 {
		ctx = baggage.ContextWithBaggage(ctx, mergeIntoOTel(baggage.FromContext(ctx), fb))
	}
	p.inject.Inject(ctx, c)
}

// Extract reads c. The extracted baggage is put in both APIs' baggage, and
// an extracted span context is wrapped so that tracing.SpanFromContext
// returns it (marked remote).
func (p *propagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	before := trace.SpanContextFromContext(ctx)
	out := p.extract.Extract(ctx, c)
	if ob := baggage.FromContext(out); ob.Len() > 0 {
		out = tracing.ContextWithBaggage(out, mergeIntoFacade(tracing.BaggageFromContext(out), ob))
	}
	if osc := trace.SpanContextFromContext(out); osc.IsValid() && !osc.Equal(before) {
		out = &remoteSpan{Context: out, sc: fromOTel(osc)}
	}
	return out
}

// Fields returns the header names Inject may write.
func (p *propagator) Fields() []string { return p.inject.Fields() }

// mergeIntoOTel returns ob with the members of fb set in it.
func mergeIntoOTel(ob baggage.Baggage, fb tracing.Baggage) baggage.Baggage {
	for _, m := range fb.Members() {
		var props []baggage.Property
		for p := range strings.SplitSeq(m.Properties, ";") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			var prop baggage.Property
			var err error
			if k, v, ok := strings.Cut(p, "="); ok {
				prop, err = baggage.NewKeyValuePropertyRaw(strings.TrimSpace(k), strings.TrimSpace(v))
			} else {
				prop, err = baggage.NewKeyProperty(p)
			}
			if err == nil {
				props = append(props, prop)
			}
		}
		mem, err := baggage.NewMemberRaw(m.Key, m.Value, props...)
		if err != nil {
			continue
		}
		if nb, err := ob.SetMember(mem); err == nil {
			ob = nb
		}
	}
	return ob
}

// mergeIntoFacade returns fb with the members of ob set in it (ob wins),
// through the W3C form both understand, which keeps member properties.
func mergeIntoFacade(fb tracing.Baggage, ob baggage.Baggage) tracing.Baggage {
	s := ob.String()
	if fb.Len() > 0 {
		s = tracing.FormatBaggage(fb) + "," + s
	}
	return tracing.ParseBaggage(s)
}

// Inject implements tracing.Propagator: it writes the context of the span in
// ctx and the baggage, in the formats configured (see the package
// documentation).
func (b *Backend) Inject(ctx context.Context, c tracing.Carrier) {
	if ctx == nil || c == nil {
		return
	}
	b.prop.Inject(ctx, c)
}

// Extract implements tracing.Propagator.
func (b *Backend) Extract(ctx context.Context, c tracing.Carrier) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if c == nil {
		return ctx
	}
	return b.prop.Extract(ctx, c)
}

// Fields implements tracing.Propagator.
func (b *Backend) Fields() []string { return b.prop.Fields() }

// Names implements tracing.Names: the propagation formats, for the startup
// summary; "(extract)" marks formats only read.
func (b *Backend) Names() []string { return append([]string(nil), b.prop.names...) }

// TextMapPropagator returns the backend's propagation as an OpenTelemetry
// TextMapPropagator (the one the backend installs as the global
// propagator), for instrumentation configured explicitly.
func (b *Backend) TextMapPropagator() propagation.TextMapPropagator { return b.prop }
