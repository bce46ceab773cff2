package otelbackend

import (
	"context"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
)

// Datadog header names.
const (
	headerDDTraceID  = "x-datadog-trace-id"
	headerDDParentID = "x-datadog-parent-id"
	headerDDPriority = "x-datadog-sampling-priority"
	headerDDTags     = "x-datadog-tags"
	ddTagTraceIDHigh = "_dd.p.tid"
)

// Datadog is an extract-only OpenTelemetry TextMapPropagator for Datadog's
// x-datadog-* headers, so that a trace coming from a service traced with a
// Datadog library continues here:
//
//   - x-datadog-trace-id is the low 64 bits of the trace id, in decimal;
//   - the high 64 bits come as 16 hex digits in x-datadog-tags, as
//     "_dd.p.tid=…" (without it the trace id is 64-bit: high bits zero);
//   - x-datadog-parent-id is the caller's span id, in decimal;
//   - x-datadog-sampling-priority > 0 means sampled; anything else,
//     including its absence, means not sampled.
//
// Malformed values are ignored: a malformed or zero trace or parent id
// means no span context; a malformed _dd.p.tid is dropped (the trace id is
// then 64-bit); a malformed priority counts as absent. Inject writes
// nothing: this backend speaks W3C trace context to the services it calls,
// which Datadog's libraries read.
type Datadog struct{}

var _ propagation.TextMapPropagator = Datadog{}

// Inject does nothing: the propagator is extract-only.
func (Datadog) Inject(context.Context, propagation.TextMapCarrier) {}

// Extract reads the x-datadog-* headers.
func (Datadog) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	sc, ok := extractDatadog(c)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// Fields returns nil: Inject writes nothing.
func (Datadog) Fields() []string { return nil }

// extractDatadog reads a span context from the x-datadog-* headers by the
// rules Datadog documents. It reports false if there is none.
func extractDatadog(c propagation.TextMapCarrier) (trace.SpanContext, bool) {
	lo, ok := parseDecimalID(c.Get(headerDDTraceID))
	if !ok {
		return trace.SpanContext{}, false
	}
	parent, ok := parseDecimalID(c.Get(headerDDParentID))
	if !ok {
		return trace.SpanContext{}, false
	}
	hi := traceIDHigh(c.Get(headerDDTags))
	var flags trace.TraceFlags
	if p, err := strconv.Atoi(strings.TrimSpace(c.Get(headerDDPriority))); err == nil && p > 0 {
		flags = trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID(tracing.TraceIDFromUint64s(hi, lo)),
		SpanID:     trace.SpanID(tracing.SpanIDFromUint64(parent)),
		TraceFlags: flags,
		Remote:     true,
	})
	return sc, sc.IsValid()
}

// parseDecimalID parses a non-zero unsigned 64-bit decimal id.
func parseDecimalID(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '+' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil && v != 0
}

// traceIDHigh returns the value of _dd.p.tid in an x-datadog-tags header
// ("k=v,k2=v2"), or 0 if it is absent or not 16 hex digits.
func traceIDHigh(tags string) uint64 {
	if len(tags) > 512 {
		// Datadog caps the header at 512 bytes; ignore anything bigger.
		return 0
	}
	for tag := range strings.SplitSeq(tags, ",") {
		k, v, ok := strings.Cut(tag, "=")
		if !ok || strings.TrimSpace(k) != ddTagTraceIDHigh {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) != 16 {
			return 0
		}
		hi, err := strconv.ParseUint(v, 16, 64)
		if err != nil {
			return 0
		}
		return hi
	}
	return 0
}
