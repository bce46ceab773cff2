package otelbackend

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// otlpEncoder writes spans as an OTLP ExportTraceServiceRequest in
// protobuf's wire format, straight from the SDK's read-only spans into a
// buffer it reuses, field for field what the OTLP exporters send
// (go.opentelemetry.io/otel/exporters/otlp/otlptrace's tracetransform and
// proto.Marshal). Those build a message tree per batch — every span,
// attribute and value a heap object, which proto.Marshal then walks by
// reflection, twice (size, then bytes) — that the garbage collector must
// then trace: for a service whose requests are small, more than the
// spans themselves cost (opentelemetry-go issue 5410). The encoder
// allocates nothing once its buffers have grown to a batch's size.
//
// A string that is not UTF-8 is sent with each invalid byte sequence
// replaced by U+FFFD (appendStr), where proto.Marshal, so the SDK's
// exporters, refuse the whole batch: protobuf receivers refuse such
// strings, and one bad attribute value must not lose a batch of spans.
//
// An otlpEncoder is not safe for concurrent use.
type otlpEncoder struct {
	b []byte

	// groups of the batch being encoded: spans of one resource and scope,
	// in order of first appearance; group[i] is span i's group.
	groups []spanGroup
	group  []int32
	done   []bool

	// The encoded resources and scopes seen, which rarely change.
	resources []encodedResource
	scopes    []encodedScope
}

type spanGroup struct {
	res   *resource.Resource
	resID attribute.Distinct
	scope instrumentation.Scope
}

type encodedResource struct {
	res  *resource.Resource
	id   attribute.Distinct
	body []byte // the Resource message, without its tag and length
}

type encodedScope struct {
	scope instrumentation.Scope
	body  []byte // the InstrumentationScope message; nil for the zero scope (not written)
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireLen     = 2
	wireFixed32 = 5
)

func appendTag(b []byte, field int, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendLen(b []byte, field int, data []byte) []byte {
	b = appendTag(b, field, wireLen)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

// appendStr writes a string field; one that is not UTF-8 with each
// invalid byte sequence replaced by U+FFFD (validUTF8).
func (e *otlpEncoder) appendStr(b []byte, field int, s string) []byte {
	return appendValidStr(b, field, validUTF8(s))
}

// appendValidStr writes a string field that validUTF8 has checked (or
// that the caller knows is UTF-8): each string is checked once, also
// where its length is needed before it is written.
func appendValidStr(b []byte, field int, s string) []byte {
	b = appendTag(b, field, wireLen)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// validUTF8 returns s, or, if it is not UTF-8, a copy with each invalid
// byte sequence replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validValue returns v, with its string checked by validUTF8 if it is
// one.
func validValue(v attribute.Value) attribute.Value {
	if v.Type() == attribute.STRING {
		if s := v.AsString(); !utf8.ValidString(s) {
			return attribute.StringValue(strings.ToValidUTF8(s, "\uFFFD"))
		}
	}
	return v
}

// appendStrNonEmpty writes a proto3 string field, which is omitted when
// empty.
func (e *otlpEncoder) appendStrNonEmpty(b []byte, field int, s string) []byte {
	if s == "" {
		return b
	}
	return e.appendStr(b, field, s)
}

func appendFixed64(b []byte, field int, v uint64) []byte {
	return binary.LittleEndian.AppendUint64(appendTag(b, field, wireFixed64), v)
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendTag(b, field, wireVarint), v)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// lenPrefix is how many bytes begin reserves for a message's length: a
// length fits in 5 varint bytes up to 32 GiB.
const lenPrefix = 5

// begin writes the tag of a message field whose length is not known yet,
// reserves room for the length and returns where the message starts.
func (e *otlpEncoder) begin(field int) int {
	var start int
	e.b, start = reserveLen(e.b, field)
	return start
}

// end writes the length of the message begun at start, moving it back
// over the room left unused.
func (e *otlpEncoder) end(start int) { e.b = endLen(e.b, start) }

// reserveLen begins a length-delimited field of unknown length: it writes
// the tag and room for the length, and returns where the content starts.
func reserveLen(b []byte, field int) ([]byte, int) {
	b = appendTag(b, field, wireLen)
	b = append(b, 0, 0, 0, 0, 0)
	return b, len(b)
}

// endLen writes the length of the field begun at start, moving the
// content back over the room left unused.
func endLen(b []byte, start int) []byte {
	n := len(b) - start
	l := uvarintLen(uint64(n))
	at := start - lenPrefix
	binary.PutUvarint(b[at:], uint64(n))
	if l < lenPrefix {
		copy(b[at+l:], b[start:])
		b = b[:len(b)-(lenPrefix-l)]
	}
	return b
}

// scalarSize returns the size of the AnyValue message of a value that is
// not a slice or map, and false for one that is. A string must have been
// checked (validValue).
func scalarSize(v attribute.Value) (int, bool) {
	switch v.Type() {
	case attribute.BOOL:
		return 2, true
	case attribute.INT64:
		return 1 + uvarintLen(uint64(v.AsInt64())), true
	case attribute.FLOAT64:
		return 9, true
	case attribute.STRING:
		n := len(v.AsString())
		return 1 + uvarintLen(uint64(n)) + n, true
	case attribute.EMPTY:
		return 0, true
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE,
		attribute.SLICE, attribute.MAP, attribute.BYTESLICE:
		return 0, false
	}
	return 1 + 1 + len("INVALID"), true
}

// appendScalar writes the fields of the AnyValue message of a value that
// is not a slice or map (a oneof: its field is written even when it holds
// the zero value). A string must have been checked (validValue).
func (e *otlpEncoder) appendScalar(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		x := uint64(0)
		if v.AsBool() {
			x = 1
		}
		return appendVarintField(b, 2, x)
	case attribute.INT64:
		return appendVarintField(b, 3, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return appendFixed64(b, 4, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		return appendValidStr(b, 1, v.AsString())
	case attribute.EMPTY:
		return b
	}
	return appendValidStr(b, 1, "INVALID")
}

// appendAnyValue writes the fields of the AnyValue message of v.
func (e *otlpEncoder) appendAnyValue(b []byte, v attribute.Value) []byte {
	var start int
	switch v.Type() {
	case attribute.BYTESLICE:
		return appendLen(b, 7, v.AsByteSlice())
	case attribute.BOOLSLICE:
		b, start = reserveLen(b, 5)
		for _, x := range v.AsBoolSlice() {
			y := uint64(0)
			if x {
				y = 1
			}
			b = appendVarintField(appendElem(b, 2), 2, y)
		}
	case attribute.INT64SLICE:
		b, start = reserveLen(b, 5)
		for _, x := range v.AsInt64Slice() {
			b = appendVarintField(appendElem(b, 1+uvarintLen(uint64(x))), 3, uint64(x))
		}
	case attribute.FLOAT64SLICE:
		b, start = reserveLen(b, 5)
		for _, x := range v.AsFloat64Slice() {
			b = appendFixed64(appendElem(b, 9), 4, math.Float64bits(x))
		}
	case attribute.STRINGSLICE:
		b, start = reserveLen(b, 5)
		for _, x := range v.AsStringSlice() {
			x = validUTF8(x)
			b = appendValidStr(appendElem(b, 1+uvarintLen(uint64(len(x)))+len(x)), 1, x)
		}
	case attribute.SLICE:
		b, start = reserveLen(b, 5)
		for _, x := range v.AsSlice() {
			var es int
			b, es = reserveLen(b, 1)
			b = endLen(e.appendAnyValue(b, x), es)
		}
	case attribute.MAP:
		b, start = reserveLen(b, 6)
		for _, kv := range v.AsMap() {
			b = e.appendKeyValue(b, 1, kv)
		}
	default:
		return e.appendScalar(b, validValue(v))
	}
	return endLen(b, start)
}

// appendElem writes the tag and length of an element of an ArrayValue.
func appendElem(b []byte, size int) []byte {
	b = appendTag(b, 1, wireLen)
	return binary.AppendUvarint(b, uint64(size))
}

// appendKeyValue writes kv as a KeyValue message in field.
func (e *otlpEncoder) appendKeyValue(b []byte, field int, kv attribute.KeyValue) []byte {
	key := validUTF8(string(kv.Key))
	kv.Value = validValue(kv.Value)
	vs, scalar := scalarSize(kv.Value)
	if !scalar {
		var start, vstart int
		b, start = reserveLen(b, field)
		if key != "" {
			b = appendValidStr(b, 1, key)
		}
		b, vstart = reserveLen(b, 2)
		b = endLen(e.appendAnyValue(b, kv.Value), vstart)
		return endLen(b, start)
	}
	n := 1 + uvarintLen(uint64(vs)) + vs
	if key != "" {
		n += 1 + uvarintLen(uint64(len(key))) + len(key)
	}
	b = appendTag(b, field, wireLen)
	b = binary.AppendUvarint(b, uint64(n))
	if key != "" {
		b = appendValidStr(b, 1, key)
	}
	b = appendTag(b, 2, wireLen)
	b = binary.AppendUvarint(b, uint64(vs))
	return e.appendScalar(b, kv.Value)
}

func (e *otlpEncoder) appendKeyValues(b []byte, field int, kvs []attribute.KeyValue) []byte {
	for _, kv := range kvs {
		b = e.appendKeyValue(b, field, kv)
	}
	return b
}

func appendUint32NonZero(b []byte, field int, n int) []byte {
	if n <= 0 {
		return b
	}
	return appendVarintField(b, field, uint64(min(int64(n), math.MaxUint32)))
}

func unixNano(t time.Time) uint64 { return uint64(max(0, t.UnixNano())) }

// spanFlags are the OTLP span flags: the W3C trace flags, and whether the
// parent is remote.
func spanFlags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	f := uint32(tf) | 0x100 // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
	if parent.IsRemote() {
		f |= 0x200 // SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
	}
	return f
}

var otlpKinds = [...]uint64{
	trace.SpanKindInternal: 1, trace.SpanKindServer: 2, trace.SpanKindClient: 3,
	trace.SpanKindProducer: 4, trace.SpanKindConsumer: 5,
}

// appendTraceState writes ts as field 3 of a span, as ts.String() would
// write it (without making the string).
func appendTraceState(b []byte, ts trace.TraceState) []byte {
	n := -1
	ts.Walk(func(k, v string) bool { n += len(k) + 1 + len(v) + 1; return true })
	b = appendTag(b, 3, wireLen)
	b = binary.AppendUvarint(b, uint64(n))
	first := true
	ts.Walk(func(k, v string) bool {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, v...)
		return true
	})
	return b
}

// appendSpan writes s as a Span message in field 2 of ScopeSpans.
func (e *otlpEncoder) appendSpan(s sdktrace.ReadOnlySpan) {
	start := e.begin(2)
	b := e.b
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendLen(b, 1, tid[:])
	b = appendLen(b, 2, sid[:])
	if ts := sc.TraceState(); ts.Len() > 0 {
		b = appendTraceState(b, ts)
	}
	parent := s.Parent()
	if psid := parent.SpanID(); psid.IsValid() {
		b = appendLen(b, 4, psid[:])
	}
	b = e.appendStrNonEmpty(b, 5, s.Name())
	if k := s.SpanKind(); int(k) < len(otlpKinds) && otlpKinds[k] != 0 {
		b = appendVarintField(b, 6, otlpKinds[k])
	}
	if t := unixNano(s.StartTime()); t != 0 {
		b = appendFixed64(b, 7, t)
	}
	if t := unixNano(s.EndTime()); t != 0 {
		b = appendFixed64(b, 8, t)
	}
	b = e.appendKeyValues(b, 9, s.Attributes())
	b = appendUint32NonZero(b, 10, s.DroppedAttributes())
	e.b = b
	for _, ev := range s.Events() {
		es := e.begin(11)
		b := e.b
		if t := unixNano(ev.Time); t != 0 {
			b = appendFixed64(b, 1, t)
		}
		b = e.appendStrNonEmpty(b, 2, ev.Name)
		b = e.appendKeyValues(b, 3, ev.Attributes)
		b = appendUint32NonZero(b, 4, ev.DroppedAttributeCount)
		e.b = b
		e.end(es)
	}
	e.b = appendUint32NonZero(e.b, 12, s.DroppedEvents())
	for _, l := range s.Links() {
		ls := e.begin(13)
		b := e.b
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = appendLen(b, 1, ltid[:])
		b = appendLen(b, 2, lsid[:])
		b = e.appendKeyValues(b, 4, l.Attributes)
		b = appendUint32NonZero(b, 5, l.DroppedAttributeCount)
		b = binary.LittleEndian.AppendUint32(appendTag(b, 6, wireFixed32), spanFlags(l.SpanContext.TraceFlags(), l.SpanContext))
		e.b = b
		e.end(ls)
	}
	b = appendUint32NonZero(e.b, 14, s.DroppedLinks())
	// Status: always present, as the exporters write it.
	st := s.Status()
	var code uint64
	switch st.Code {
	case codes.Ok:
		code = 1
	case codes.Error:
		code = 2
	}
	n := 0
	desc := validUTF8(st.Description)
	if desc != "" {
		n += 1 + uvarintLen(uint64(len(desc))) + len(desc)
	}
	if code != 0 {
		n += 2
	}
	b = appendTag(b, 15, wireLen)
	b = binary.AppendUvarint(b, uint64(n))
	if desc != "" {
		b = appendValidStr(b, 2, desc)
	}
	if code != 0 {
		b = appendVarintField(b, 3, code)
	}
	b = binary.LittleEndian.AppendUint32(appendTag(b, 16, wireFixed32), spanFlags(sc.TraceFlags(), parent))
	e.b = b
	e.end(start)
}

// resourceBody returns the encoded Resource message of r.
func (e *otlpEncoder) resourceBody(r *resource.Resource, id attribute.Distinct) []byte {
	for i := range e.resources {
		if er := &e.resources[i]; er.res == r || er.id == id {
			return er.body
		}
	}
	var body []byte
	for it := r.Iter(); it.Next(); {
		body = e.appendKeyValue(body, 1, it.Attribute())
	}
	if len(e.resources) >= 8 {
		e.resources = e.resources[:0] // many resources: not worth keeping
	}
	e.resources = append(e.resources, encodedResource{res: r, id: id, body: body})
	return body
}

// scopeBody returns the encoded InstrumentationScope message of s, nil
// for the zero scope (which is not written).
func (e *otlpEncoder) scopeBody(s instrumentation.Scope) []byte {
	for i := range e.scopes {
		if e.scopes[i].scope == s {
			return e.scopes[i].body
		}
	}
	var body []byte
	if s != (instrumentation.Scope{}) {
		body = e.appendStrNonEmpty(body, 1, s.Name)
		body = e.appendStrNonEmpty(body, 2, s.Version)
		for it := s.Attributes.Iter(); it.Next(); {
			body = e.appendKeyValue(body, 3, it.Attribute())
		}
		if body == nil {
			body = []byte{}
		}
	}
	if len(e.scopes) >= 64 {
		e.scopes = e.scopes[:0]
	}
	e.scopes = append(e.scopes, encodedScope{scope: s, body: body})
	return body
}

// encode returns the ExportTraceServiceRequest of spans, in a buffer that
// the next call reuses. Spans are grouped by resource, then by
// instrumentation scope, as the OTLP exporters group them.
func (e *otlpEncoder) encode(spans []sdktrace.ReadOnlySpan) []byte {
	e.b = e.b[:0]
	e.groups = e.groups[:0]
	e.group = e.group[:0]
	for _, s := range spans {
		if s == nil {
			e.group = append(e.group, -1)
			continue
		}
		r, scope := s.Resource(), s.InstrumentationScope()
		g := -1
		for i := range e.groups {
			if e.groups[i].res == r && e.groups[i].scope == scope {
				g = i
				break
			}
		}
		if g < 0 {
			var id attribute.Distinct
			if r != nil {
				id = r.Equivalent()
			}
			for i := range e.groups {
				if e.groups[i].resID == id && e.groups[i].scope == scope && (e.groups[i].res == nil) == (r == nil) {
					g = i
					break
				}
			}
			if g < 0 {
				g = len(e.groups)
				e.groups = append(e.groups, spanGroup{res: r, resID: id, scope: scope})
			}
		}
		e.group = append(e.group, int32(g))
	}
	e.done = append(e.done[:0], make([]bool, len(e.groups))...)
	done := e.done
	for g := range e.groups {
		if done[g] {
			continue
		}
		// One ResourceSpans per resource, with the ScopeSpans of each of
		// its scopes.
		grp := &e.groups[g]
		rs := e.begin(1)
		if grp.res != nil {
			e.b = appendLen(e.b, 1, e.resourceBody(grp.res, grp.resID))
		}
		for h := g; h < len(e.groups); h++ {
			if done[h] || e.groups[h].resID != grp.resID || (e.groups[h].res == nil) != (grp.res == nil) {
				continue
			}
			done[h] = true
			ss := e.begin(2)
			if body := e.scopeBody(e.groups[h].scope); body != nil {
				e.b = appendLen(e.b, 1, body)
			}
			for i, s := range spans {
				if int(e.group[i]) == h {
					e.appendSpan(s)
				}
			}
			e.b = e.appendStrNonEmpty(e.b, 3, e.groups[h].scope.SchemaURL)
			e.end(ss)
		}
		if grp.res != nil {
			e.b = e.appendStrNonEmpty(e.b, 3, grp.res.SchemaURL())
		}
		e.end(rs)
	}
	return e.b
}
