package otelbackend

import (
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// DefaultAttributeValueLengthLimit is the attribute value length limit, in
// characters, when neither OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT nor WithSpanLimits sets one. The
// OpenTelemetry default is no limit; a 10 MB value set by mistake would
// then travel whole, and make the collector (whose gRPC receiver takes at
// most 4 MiB per request by default) reject its whole batch.
const DefaultAttributeValueLengthLimit = backendkit.DefaultAttrValueLen

// DefaultMaxQueueSize is the batch span processor's queue size when
// OTEL_BSP_MAX_QUEUE_SIZE is unset (the specification's default is 2048).
// The queue holds ended spans until they are exported; a burst longer than
// the queue loses spans (counted in Stats). 16384 lets a program end ten
// thousand spans in a tight loop, then shut down, without losing any; the
// memory is used only while such a burst waits for export.
const DefaultMaxQueueSize = 16384

// spanLimits returns the limits the provider applies: code's (zero fields
// defaulted), else the OTEL_*_LIMIT variables' (which the SDK reads), with
// the backend's value length default where nothing sets one.
func spanLimits(code *sdktrace.SpanLimits) sdktrace.SpanLimits {
	if code != nil {
		l := *code
		def := sdktrace.NewSpanLimits()
		fill := func(v *int, d int) {
			if *v == 0 {
				*v = d
			}
		}
		fill(&l.AttributeValueLengthLimit, DefaultAttributeValueLengthLimit)
		fill(&l.AttributeCountLimit, def.AttributeCountLimit)
		fill(&l.EventCountLimit, def.EventCountLimit)
		fill(&l.LinkCountLimit, def.LinkCountLimit)
		fill(&l.AttributePerEventCountLimit, def.AttributePerEventCountLimit)
		fill(&l.AttributePerLinkCountLimit, def.AttributePerLinkCountLimit)
		return l
	}
	l := sdktrace.NewSpanLimits()
	if backendkit.Getenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") == "" && backendkit.Getenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") == "" {
		l.AttributeValueLengthLimit = DefaultAttributeValueLengthLimit
	}
	return l
}

// truncateKVs cuts the string values of kvs to n characters in place (no
// limit if n < 0): the SDK truncates span attributes, not those of events.
func truncateKVs(kvs []attribute.KeyValue, n int) {
	if n < 0 {
		return
	}
	for i, kv := range kvs {
		switch kv.Value.Type() {
		case attribute.STRING:
			if s := kv.Value.AsString(); len(s) > n {
				kvs[i].Value = attribute.StringValue(backendkit.TruncateString(s, n))
			}
		case attribute.STRINGSLICE:
			ss := kv.Value.AsStringSlice() // a copy
			cut := false
			for j, s := range ss {
				if t := backendkit.TruncateString(s, n); len(t) < len(s) {
					ss[j], cut = t, true
				}
			}
			if cut {
				kvs[i].Value = attribute.StringSliceValue(ss)
			}
		}
	}
}
