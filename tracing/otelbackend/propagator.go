package otelbackend

import (
	"context"
	"net/url"
	"slices"
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
	fixTracestate(ctx, c)
}

// Extract reads c. The extracted baggage is put in both APIs' baggage, and
// an extracted span context is wrapped so that tracing.SpanFromContext
// returns it (marked remote). The W3C headers reach OpenTelemetry's
// propagators as the facade reads them (see w3cCarrier).
func (p *propagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	before := trace.SpanContextFromContext(ctx)
	nc, w3c, full := normalizeW3C(c)
	out := p.extract.Extract(ctx, nc)
	if ob := baggage.FromContext(out); ob.Len() > 0 {
		out = tracing.ContextWithBaggage(out, mergeIntoFacade(tracing.BaggageFromContext(out), ob))
	}
	if osc := trace.SpanContextFromContext(out); osc.IsValid() && !osc.Equal(before) {
		rs := &remoteSpan{Context: out, sc: fromOTel(osc)}
		// OpenTelemetry was shown the part of the tracestate it can hold;
		// the facade keeps the whole of it when the span context is the
		// traceparent's.
		if full != "" && osc.TraceID() == trace.TraceID(w3c.TraceID()) && osc.SpanID() == trace.SpanID(w3c.SpanID()) &&
			slices.Contains(p.extract.Fields(), tracing.HeaderTraceparent) {
			rs.sc, rs.ts = rs.sc.WithTraceState(full), full
		}
		out = rs
	}
	return out
}

// w3cCarrier shows OpenTelemetry's W3C propagators (trace context and
// baggage) the traceparent, tracestate and baggage headers of a carrier as
// the facade's propagators read them, because OpenTelemetry's read them
// differently, against the specifications:
//
//   - a second traceparent header is ignored (W3C: two headers are
//     invalid and start a new trace); optional white space around the
//     value, allowed by HTTP, makes it invalid; a version 00 header with
//     flags other than sampled and random is rejected rather than read
//     with those flags cleared;
//   - only the first tracestate header is read (W3C: several are joined),
//     and 33 members or more are not discarded consistently;
//   - a baggage header of more than 8192 bytes (or several adding up to
//     more) loses every member, rather than the members past the limit
//     only, and each time is reported to the global error handler.
//
// So the carrier answers with the canonical traceparent (version 00, known
// flags, nothing when there is none valid), the joined tracestate as the
// facade reads it (tracing.ParseTraceState; nothing when invalid), less
// the members OpenTelemetry's TraceState cannot hold (Level 2 keys, see
// heldTraceState: the facade carries those itself), and the baggage as
// the facade parses and re-encodes it (whole members within 64 members and
// 8192 bytes).
//
// It also shows OpenTelemetry's jaeger propagator uber-trace-id as
// jaeger-client-go, the reference implementation of the format, reads it:
// URL-decoded and in any case (OpenTelemetry's reads only lower-case
// hex, not URL-encoded).
//
// Other keys pass through. normalizeW3C only wraps a carrier whose headers
// need it.
type w3cCarrier struct {
	propagation.TextMapCarrier
	traceparent, tracestate, baggage string
	uber                             *string // nil: as in the carrier
}

func (w *w3cCarrier) Get(key string) string {
	switch {
	case strings.EqualFold(key, tracing.HeaderTraceparent):
		return w.traceparent
	case strings.EqualFold(key, tracing.HeaderTracestate):
		return w.tracestate
	case strings.EqualFold(key, tracing.HeaderBaggage):
		return w.baggage
	case w.uber != nil && strings.EqualFold(key, headerUber):
		return *w.uber
	}
	return w.TextMapCarrier.Get(key)
}

// Values implements propagation.ValuesGetter.
func (w *w3cCarrier) Values(key string) []string {
	switch {
	case strings.EqualFold(key, tracing.HeaderTraceparent), strings.EqualFold(key, tracing.HeaderTracestate),
		strings.EqualFold(key, tracing.HeaderBaggage):
		if v := w.Get(key); v != "" {
			return []string{v}
		}
		return nil
	}
	return tracing.CarrierValues(w.TextMapCarrier, key)
}

// normalizeW3C returns c, or c wrapped in a w3cCarrier when OpenTelemetry
// would read its W3C headers differently from the facade. When the
// tracestate has members OpenTelemetry cannot hold, it also returns the
// trace context the facade reads and the whole tracestate (else "").
func normalizeW3C(c propagation.TextMapCarrier) (_ propagation.TextMapCarrier, w3c tracing.SpanContext, full string) {
	tps := tracing.CarrierValues(c, tracing.HeaderTraceparent)
	tss := tracing.CarrierValues(c, tracing.HeaderTracestate)
	bags := tracing.CarrierValues(c, tracing.HeaderBaggage)
	uber, uberOK := c.Get(headerUber), true
	if uber != "" {
		uberOK = uber == strings.ToLower(uber) && !strings.Contains(uber, "%")
	}
	if len(tps) == 0 && len(bags) == 0 && uberOK {
		return c, tracing.SpanContext{}, "" // tracestate is not read without traceparent
	}
	tpOK := len(tps) == 0 || len(tps) == 1 && canonicalTraceparent(tps[0])
	tsOK := len(tss) == 0 || len(tss) == 1 && (len(tps) == 0 || tracing.NormalizeTracestate(tss[0]) == tss[0] && otelHolds(tss[0]))
	bagOK := len(bags) == 0 || len(bags) == 1 && len(bags[0]) <= tracing.MaxBaggageBytes && tracing.FormatBaggage(tracing.ParseBaggage(bags[0])) == bags[0]
	if tpOK && tsOK && bagOK && uberOK {
		return c, tracing.SpanContext{}, ""
	}
	w := &w3cCarrier{TextMapCarrier: c}
	if !uberOK {
		if u, err := url.QueryUnescape(uber); err == nil {
			uber = u
		}
		uber = strings.ToLower(uber)
		w.uber = &uber
	}
	if sc, ok := tracing.ExtractTraceContext(c); ok {
		w.traceparent = sc.WithTraceFlags(sc.TraceFlags() & (tracing.FlagsSampled | tracing.FlagsRandom)).Traceparent()
		w.tracestate = sc.TraceState()
		if full = fullTraceState(sc.TraceState()); full != "" {
			held, _ := heldTraceState(full)
			w.tracestate, w3c = held.String(), sc
		}
	}
	if len(bags) > 0 {
		w.baggage = tracing.FormatBaggage(tracing.ParseBaggage(strings.Join(bags, ",")))
	}
	return w, w3c, full
}

// headerUber is jaeger's trace context header.
const headerUber = "uber-trace-id"

// canonicalTraceparent reports whether s is a valid traceparent that
// OpenTelemetry reads as the facade does: version 00, no white space, only
// the sampled and random flags.
func canonicalTraceparent(s string) bool {
	if len(s) != 55 || s[0] != '0' || s[1] != '0' || s[53] != '0' || s[54] < '0' || s[54] > '3' {
		return false
	}
	_, ok := tracing.ParseTraceparent(s)
	return ok
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
