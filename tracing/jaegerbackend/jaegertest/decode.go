package jaegertest

import (
	"bytes"
	"encoding/json"
	"time"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// specialTags are read into SpanData fields rather than Attrs.
var specialTags = map[string]bool{
	"span.kind": true, "error": true, "otel.status_code": true, "otel.status_description": true,
	tracing.KeyResource: true, tracing.KeyService: true, tracing.KeySpanType: true,
	"sampler.type": true, "sampler.param": true,
}

// SpanData decodes a span as the jaeger backend sends it. Tags become
// Attrs, except span.kind (Kind), error=true and otel.status_code=OK
// (Status), otel.status_description (StatusMsg), resource.name,
// service.name and span.type (the overrides) and the sampler's own
// sampler.type and sampler.param. Log records become Events, except the
// last one with event=error (ErrorType from error.kind, ErrorMessage from
// message, ErrorStack from stack) and those with event=link (attributes of
// the link they name). FOLLOWS_FROM references become Links.
func SpanData(s *j.Span) tracingtest.SpanData {
	d := tracingtest.SpanData{
		Name:    s.OperationName,
		TraceID: tracing.TraceIDFromUint64s(uint64(s.TraceIdHigh), uint64(s.TraceIdLow)),
		SpanID:  tracing.SpanIDFromUint64(uint64(s.SpanId)),
		Sampled: s.Flags&1 != 0,
		Start:   time.UnixMicro(s.StartTime),
	}
	d.End = d.Start.Add(time.Duration(s.Duration) * time.Microsecond)
	if s.ParentSpanId != 0 {
		d.ParentID = tracing.SpanIDFromUint64(uint64(s.ParentSpanId))
	}
	for _, tg := range s.Tags {
		v := Value(tg)
		switch tg.Key {
		case "span.kind":
			for k := tracing.SpanKindInternal; k <= tracing.SpanKindConsumer; k++ {
				if k.String() == v.String() {
					d.Kind = k
				}
			}
		case "error":
			if v.AsBool() {
				d.Status = tracing.StatusError
			}
		case "otel.status_code":
			if v.String() == "OK" {
				d.Status = tracing.StatusOK
			}
		case "otel.status_description":
			d.StatusMsg = v.String()
		case tracing.KeyResource:
			d.Resource = v.String()
		case tracing.KeyService:
			d.Service = v.String()
		case tracing.KeySpanType:
			d.Type = v.String()
		}
		if !specialTags[tg.Key] {
			d.Attrs = append(d.Attrs, tracing.Attr{Key: tg.Key, Value: v})
		}
	}
	linkAttrs := map[tracing.SpanID][]tracing.Attr{}
	for _, l := range s.Logs {
		name := ""
		var attrs []tracing.Attr
		for _, f := range l.Fields {
			if f.Key == "event" && name == "" {
				name = Value(f).String()
				continue
			}
			attrs = append(attrs, tracing.Attr{Key: f.Key, Value: Value(f)})
		}
		get := func(k string) string {
			for _, a := range attrs {
				if a.Key == k {
					return a.Value.String()
				}
			}
			return ""
		}
		switch {
		case name == "error":
			d.ErrorType, d.ErrorMessage, d.ErrorStack = get("error.kind"), get("message"), get("stack")
		case name == "link" && get("link.span_id") != "":
			sid, _ := tracing.SpanIDFromHex(get("link.span_id"))
			for _, a := range attrs {
				if a.Key != "link.trace_id" && a.Key != "link.span_id" {
					linkAttrs[sid] = append(linkAttrs[sid], a)
				}
			}
		default:
			d.Events = append(d.Events, tracingtest.Event{Name: name, Time: time.UnixMicro(l.Timestamp), Attrs: attrs})
		}
	}
	for _, r := range s.References {
		if r.RefType != j.SpanRefType_FOLLOWS_FROM {
			continue
		}
		sid := tracing.SpanIDFromUint64(uint64(r.SpanId))
		d.Links = append(d.Links, tracingtest.Link{
			TraceID: tracing.TraceIDFromUint64s(uint64(r.TraceIdHigh), uint64(r.TraceIdLow)),
			SpanID:  sid, Attrs: linkAttrs[sid],
		})
	}
	return d
}

// Value converts a thrift tag (or log field) to the facade value of its
// type: STRING, BOOL, LONG (Int64) and DOUBLE (Float64); BINARY becomes a
// string.
func Value(t *j.Tag) tracing.Value {
	switch t.VType {
	case j.TagType_STRING:
		return tracing.StringValue(t.GetVStr())
	case j.TagType_BOOL:
		return tracing.BoolValue(t.GetVBool())
	case j.TagType_LONG:
		return tracing.Int64Value(t.GetVLong())
	case j.TagType_DOUBLE:
		return tracing.Float64Value(t.GetVDouble())
	case j.TagType_BINARY:
		return tracing.StringValue(string(t.VBinary))
	}
	return tracing.Value{}
}

// ValueEqual compares a value as set (want) with the value read back from
// Jaeger (got), accepting exactly the backend's documented mapping: values
// of slice kinds arrive as a JSON array in a string tag; the other kinds
// keep their type. It is the conformance suite's Harness.ValueEqual for
// the jaeger backend.
func ValueEqual(want, got tracing.Value) bool {
	if got.Kind() != tracing.KindString {
		return want.Equal(got)
	}
	s := []byte(got.AsString())
	var dec tracing.Value
	switch want.Kind() {
	case tracing.KindStringSlice:
		var v []string
		if json.Unmarshal(s, &v) != nil {
			return false
		}
		dec = tracing.StringSliceValue(v)
	case tracing.KindBoolSlice:
		var v []bool
		if json.Unmarshal(s, &v) != nil {
			return false
		}
		dec = tracing.BoolSliceValue(v)
	case tracing.KindInt64Slice:
		var v []int64
		if json.Unmarshal(s, &v) != nil {
			return false
		}
		dec = tracing.Int64SliceValue(v)
	case tracing.KindFloat64Slice:
		var v []float64
		if json.Unmarshal(s, &v) != nil {
			return false
		}
		dec = tracing.Float64SliceValue(v)
	default:
		return want.Equal(got)
	}
	return bytes.HasPrefix(s, []byte("[")) && want.Equal(dec)
}

// Tags returns a span's tags by key (the last value of each key).
func Tags(s *j.Span) map[string]tracing.Value {
	m := map[string]tracing.Value{}
	for _, t := range s.Tags {
		m[t.Key] = Value(t)
	}
	return m
}

// ProcessTags returns a batch's process tags by key.
func ProcessTags(b *j.Batch) map[string]tracing.Value {
	m := map[string]tracing.Value{}
	if b.Process != nil {
		for _, t := range b.Process.Tags {
			m[t.Key] = Value(t)
		}
	}
	return m
}

// Named returns the spans named name.
func Named(spans []*j.Span, name string) []*j.Span {
	var out []*j.Span
	for _, s := range spans {
		if s.OperationName == name {
			out = append(out, s)
		}
	}
	return out
}
