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
// Datadog library continues here. It reads them exactly as dd-trace-go
// (v2.3) does, so that a request continues the same trace whichever of
// the otel and datadog backends serves it:
//
//   - x-datadog-trace-id is the low 64 bits of the trace id, in decimal
//     (a leading "-" makes it a signed 64-bit number, as some Datadog
//     libraries send it);
//   - the high 64 bits come as 16 lower-case hex digits in
//     x-datadog-tags, as "_dd.p.tid=…" (without them the trace id is
//     64-bit: high bits zero);
//   - x-datadog-parent-id is the caller's span id, in decimal, read the
//     same way;
//   - x-datadog-sampling-priority > 0 means sampled; 0 or less, or no
//     header, means not sampled.
//
// A malformed or zero trace or parent id, or a priority that is not an
// integer, means no span context. An x-datadog-tags header over 512 bytes
// or not a list of key=value pairs is ignored whole, and a _dd.p.tid that
// is not 16 lower-case hex digits is dropped (the trace id is then
// 64-bit). Inject writes nothing: this backend speaks W3C trace context to
// the services it calls, which Datadog's libraries read.
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

// ddTagsMaxSize is the largest x-datadog-tags header Datadog's libraries
// read.
const ddTagsMaxSize = 512

// extractDatadog reads a span context from the x-datadog-* headers by the
// rules Datadog documents. It reports false if there is none.
func extractDatadog(c propagation.TextMapCarrier) (trace.SpanContext, bool) {
	tid := c.Get(headerDDTraceID)
	if tid == "" {
		return trace.SpanContext{}, false
	}
	lo, ok := parseDecimalID(tid)
	if !ok {
		return trace.SpanContext{}, false
	}
	parent, ok := parseDecimalID(c.Get(headerDDParentID))
	if !ok {
		return trace.SpanContext{}, false
	}
	var flags trace.TraceFlags
	if ps := tracing.CarrierValues(tracing.Carrier(c), headerDDPriority); len(ps) > 0 {
		prio, err := strconv.Atoi(ps[0])
		if err != nil {
			return trace.SpanContext{}, false
		}
		if prio > 0 {
			flags = trace.FlagsSampled
		}
	}
	hi := traceIDHigh(c.Get(headerDDTags))
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID(tracing.TraceIDFromUint64s(hi, lo)),
		SpanID:     trace.SpanID(tracing.SpanIDFromUint64(parent)),
		TraceFlags: flags,
		Remote:     true,
	})
	return sc, sc.IsValid()
}

// parseDecimalID parses a non-zero 64-bit decimal id: unsigned, or signed
// with a leading "-" (two's complement).
func parseDecimalID(s string) (uint64, bool) {
	var v uint64
	var err error
	if strings.HasPrefix(s, "-") {
		var i int64
		i, err = strconv.ParseInt(s, 10, 64)
		v = uint64(i)
	} else {
		v, err = strconv.ParseUint(s, 10, 64)
	}
	return v, err == nil && v != 0
}

// traceIDHigh returns the value of _dd.p.tid in an x-datadog-tags header
// ("k=v,k2=v2"), or 0 if it is absent, malformed, or the header is not
// read (see Datadog).
func traceIDHigh(tags string) uint64 {
	if tags == "" || len(tags) > ddTagsMaxSize {
		return 0
	}
	tid := ""
	for tag := range strings.SplitSeq(tags, ",") {
		k, v, ok := strings.Cut(tag, "=")
		if !ok || k == "" || v == "" {
			return 0 // not a list of key=value pairs: ignored whole
		}
		if k == ddTagTraceIDHigh {
			tid = v
		}
	}
	if len(tid) != 16 {
		return 0
	}
	for i := 0; i < len(tid); i++ {
		if c := tid[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0
		}
	}
	hi, _ := strconv.ParseUint(tid, 16, 64)
	return hi
}
