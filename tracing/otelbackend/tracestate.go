package otelbackend

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
)

// The facade reads tracestate by W3C Trace Context Level 2 rules
// (tracing.ParseTraceState); OpenTelemetry's trace.TraceState follows
// Level 1: it refuses keys that start with a digit or hold "@" anywhere
// but once between a tenant of at most 241 characters and a vendor of at
// most 14 starting with a letter ("1foo", "foo@", "foo@@bar",
// "a@b@c"), and with them the whole list. Such members are not OpenTelemetry's
// to drop: a downstream request must carry them. So OpenTelemetry is
// given the members it can hold (heldTraceState), and the facade's whole
// list is carried beside it, on the backend's context nodes (remoteSpan.ts,
// span.ts), only when OpenTelemetry cannot hold all of it. What goes
// downstream merges the two (mergeTraceState): OpenTelemetry's list as
// it is now (with what its samplers or instrumentation added, changed or
// removed) and the members it could not hold, in their places.

// heldTraceState returns the members of the tracestate s (canonical, as
// the facade reads it) that OpenTelemetry's TraceState can hold, in
// order; all reports whether that is every member.
func heldTraceState(s string) (ts trace.TraceState, all bool) {
	if s == "" || otelHolds(s) {
		ts, err := trace.ParseTraceState(s)
		return ts, err == nil
	}
	parsed, err := tracing.ParseTraceState(s)
	if err != nil {
		return trace.TraceState{}, false
	}
	m := parsed.Members()
	for i := len(m) - 1; i >= 0; i-- {
		if nts, err := ts.Insert(m[i].Key, m[i].Value); err == nil {
			ts = nts
		}
	}
	return ts, false
}

// otelHolds reports whether every key of the canonical tracestate s is one
// OpenTelemetry's parser accepts (its values are the facade's).
func otelHolds(s string) bool {
	for m := range strings.SplitSeq(s, ",") {
		k, _, _ := strings.Cut(m, "=")
		if !otelKey(k) {
			return false
		}
	}
	return true
}

// otelKey reports whether OpenTelemetry's TraceState accepts key k (the
// Level 1 grammar): lcalpha 0*255(keychar), or tenant "@" system with a
// tenant of lcalpha or DIGIT then at most 240 keychars and a system of
// lcalpha then at most 13 keychars, keychar being lcalpha, DIGIT, "_",
// "-", "*" and "/".
func otelKey(k string) bool {
	tenant, system, multi := strings.Cut(k, "@")
	if !multi {
		return len(k) > 0 && len(k) <= 256 && isLower(k[0]) && keyChars(k[1:])
	}
	return len(tenant) > 0 && len(tenant) <= 241 && (isLower(tenant[0]) || isDigit(tenant[0])) && keyChars(tenant[1:]) &&
		len(system) > 0 && len(system) <= 14 && isLower(system[0]) && keyChars(system[1:])
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func keyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '_' && c != '-' && c != '*' && c != '/' {
			return false
		}
	}
	return true
}

// fullTraceState returns the facade tracestate s when OpenTelemetry cannot
// hold all of it, else "".
func fullTraceState(s string) string {
	if s == "" || otelHolds(s) {
		return ""
	}
	return s
}

// mergeTraceState returns the tracestate to send for a span whose
// OpenTelemetry tracestate is now ots and that inherited the facade's
// full list (full, of which OpenTelemetry was given heldTraceState(full)):
// the members OpenTelemetry added or changed since, first, in its order;
// then the inherited members, in their order, except those OpenTelemetry
// changed or removed. It keeps the limits (32 members, the facade's
// length), removing from the end.
func mergeTraceState(ots trace.TraceState, full string) string {
	if full == "" {
		return ots.String()
	}
	fts, err := tracing.ParseTraceState(full)
	if err != nil {
		return ots.String()
	}
	held, _ := heldTraceState(full)
	out := make([]string, 0, fts.Len()+ots.Len())
	ots.Walk(func(k, v string) bool {
		if held.Get(k) != v {
			out = append(out, k+"="+v)
		}
		return true
	})
	for _, m := range fts.Members() {
		if !otelKey(m.Key) || ots.Get(m.Key) == m.Value {
			out = append(out, m.Key+"="+m.Value)
		}
	}
	if len(out) > tracing.MaxTraceStateMembers {
		out = out[:tracing.MaxTraceStateMembers]
	}
	return tracing.NormalizeTracestate(strings.Join(out, ","))
}

// inheritedTraceState returns the facade tracestate that the nearest facade
// span of ctx carries beside OpenTelemetry's, if that span is in trace
// tid: the whole list when OpenTelemetry could not hold all of it, else "".
func inheritedTraceState(ctx context.Context, tid trace.TraceID) string {
	switch p := ctx.Value(tracing.ContextKey{}).(type) {
	case nil:
	case *span:
		if p.ts != nil && p.otel.SpanContext().TraceID() == tid {
			return *p.ts
		}
	case *remoteSpan:
		if p.ts != "" && p.sc.TraceID() == tracing.TraceID(tid) {
			return p.ts
		}
	case tracing.BackendSpan:
		if sc := p.SpanContext(); sc.TraceID() == tracing.TraceID(tid) {
			return fullTraceState(sc.TraceState())
		}
	}
	return ""
}

// fixTracestate rewrites the tracestate the propagators just wrote into c
// for the span context of ctx when OpenTelemetry holds only part of that
// span's tracestate: if a W3C propagator wrote the span's traceparent, the
// tracestate it wrote beside it is OpenTelemetry's part only.
func fixTracestate(ctx context.Context, c propagation.TextMapCarrier) {
	osc := trace.SpanContextFromContext(ctx)
	if !osc.IsValid() {
		return
	}
	full := inheritedTraceState(ctx, osc.TraceID())
	if full == "" {
		return
	}
	tp, ok := tracing.ParseTraceparent(c.Get(tracing.HeaderTraceparent))
	if !ok || tp.TraceID() != tracing.TraceID(osc.TraceID()) || tp.SpanID() != tracing.SpanID(osc.SpanID()) {
		return
	}
	if s := mergeTraceState(osc.TraceState(), full); s != "" {
		c.Set(tracing.HeaderTracestate, s)
	}
}

// The random trace id flag (W3C Level 2): OpenTelemetry's SDK draws trace
// ids at random but, when it starts a trace, sets only the sampled flag;
// a span's flags are its parent's otherwise. So a span that starts a
// trace is started with a parent that is no span (an invalid span
// context, which the SDK and its samplers treat as none) but carries the
// random flag, which the SDK then copies into the new span's flags.

// randomRoot is the span OpenTelemetry finds as the parent of a span that
// starts a trace.
var randomRoot = trace.SpanFromContext(trace.ContextWithSpanContext(context.Background(),
	trace.NewSpanContext(trace.SpanContextConfig{TraceFlags: trace.FlagsRandom})))

// rootParent returns the context to start a span that starts a trace
// from, ctx being its own context: one where OpenTelemetry finds
// randomRoot as the current span. node, if not nil, is the span node to
// be (not yet shared): it answers OpenTelemetry's key with randomRoot
// until the span is set in it, so that no context is allocated.
func rootParent(ctx context.Context, node *span) context.Context {
	if node != nil {
		node.otel = randomRoot
		return node
	}
	return trace.ContextWithSpan(ctx, randomRoot)
}
