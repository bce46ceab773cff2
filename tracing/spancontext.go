package tracing

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
)

// TraceID is a 128-bit trace identifier. The zero TraceID is invalid.
type TraceID [16]byte

// SpanID is a 64-bit span identifier. The zero SpanID is invalid.
type SpanID [8]byte

// TraceFlags are the W3C trace-context flags.
type TraceFlags byte

// W3C trace flags.
const (
	// FlagsSampled means the caller recorded its span and callees should too.
	FlagsSampled TraceFlags = 0x01
	// FlagsRandom means the low 56 bits of the trace id are random
	// (W3C Trace Context Level 2).
	FlagsRandom TraceFlags = 0x02
)

// IsSampled reports whether the sampled flag is set.
func (f TraceFlags) IsSampled() bool { return f&FlagsSampled != 0 }

// String returns the two lowercase hex digits of f, as in traceparent.
func (f TraceFlags) String() string { return hex.EncodeToString([]byte{byte(f)}) }

var (
	errBadTraceID = errors.New("tracing: trace id must be 32 (or 16) hex digits and not all zero")
	errBadSpanID  = errors.New("tracing: span id must be 16 hex digits and not all zero")
)

// TraceIDFromHex parses a trace id of 32 hex digits, or of 16 (a 64-bit id,
// as older Jaeger and B3 senders use, whose high half is then zero). Either
// case is accepted; an all-zero id or any other input is an error.
func TraceIDFromHex(s string) (TraceID, error) {
	var t TraceID
	switch len(s) {
	case 32:
		if _, err := hex.Decode(t[:], []byte(s)); err != nil {
			return TraceID{}, errBadTraceID
		}
	case 16:
		if _, err := hex.Decode(t[8:], []byte(s)); err != nil {
			return TraceID{}, errBadTraceID
		}
	default:
		return TraceID{}, errBadTraceID
	}
	if !t.IsValid() {
		return TraceID{}, errBadTraceID
	}
	return t, nil
}

// TraceIDFromUint64s returns the trace id whose high and low 64 bits are hi
// and lo.
func TraceIDFromUint64s(hi, lo uint64) TraceID {
	var t TraceID
	binary.BigEndian.PutUint64(t[:8], hi)
	binary.BigEndian.PutUint64(t[8:], lo)
	return t
}

// IsValid reports whether t is not all zero.
func (t TraceID) IsValid() bool { return t != TraceID{} }

// String returns the 32 lowercase hex digits of t (the W3C form).
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// High64 returns the high 64 bits of t.
func (t TraceID) High64() uint64 { return binary.BigEndian.Uint64(t[:8]) }

// Low64 returns the low 64 bits of t: the id Datadog's v0.4 protocol and
// 64-bit Jaeger/B3 senders carry.
func (t TraceID) Low64() uint64 { return binary.BigEndian.Uint64(t[8:]) }

// LowDecimal returns the low 64 bits of t in decimal, the form Datadog shows
// and puts in x-datadog-trace-id and dd.trace_id log fields.
func (t TraceID) LowDecimal() string { return strconv.FormatUint(t.Low64(), 10) }

// MarshalText implements encoding.TextMarshaler with the hex form.
func (t TraceID) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// SpanIDFromHex parses a span id of 16 hex digits (either case); an all-zero
// id or any other input is an error.
func SpanIDFromHex(s string) (SpanID, error) {
	var id SpanID
	if len(s) != 16 {
		return SpanID{}, errBadSpanID
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil || !id.IsValid() {
		return SpanID{}, errBadSpanID
	}
	return id, nil
}

// SpanIDFromUint64 returns the span id whose value is v.
func SpanIDFromUint64(v uint64) SpanID {
	var id SpanID
	binary.BigEndian.PutUint64(id[:], v)
	return id
}

// IsValid reports whether s is not all zero.
func (s SpanID) IsValid() bool { return s != SpanID{} }

// String returns the 16 lowercase hex digits of s.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// Uint64 returns s as a number.
func (s SpanID) Uint64() uint64 { return binary.BigEndian.Uint64(s[:]) }

// Decimal returns s in decimal, the form Datadog shows.
func (s SpanID) Decimal() string { return strconv.FormatUint(s.Uint64(), 10) }

// MarshalText implements encoding.TextMarshaler with the hex form.
func (s SpanID) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// SpanContext identifies a span across process boundaries: trace id, span
// id, flags, the W3C tracestate and whether it came from another process.
// It is a comparable value; the zero SpanContext is invalid.
type SpanContext struct {
	traceID    TraceID
	spanID     SpanID
	flags      TraceFlags
	remote     bool
	traceState string
}

// SpanContextConfig holds the fields of a new SpanContext.
type SpanContextConfig struct {
	TraceID    TraceID
	SpanID     SpanID
	TraceFlags TraceFlags
	// TraceState is the W3C tracestate header value, kept as given; the
	// propagators validate it.
	TraceState string
	Remote     bool
}

// NewSpanContext returns a SpanContext built from c. Invalid ids are kept
// and make IsValid report false: such a context is never used as a parent
// and never injected.
func NewSpanContext(c SpanContextConfig) SpanContext {
	return SpanContext{traceID: c.TraceID, spanID: c.SpanID, flags: c.TraceFlags, remote: c.Remote, traceState: c.TraceState}
}

// TraceID returns the trace id.
func (sc SpanContext) TraceID() TraceID { return sc.traceID }

// SpanID returns the span id.
func (sc SpanContext) SpanID() SpanID { return sc.spanID }

// TraceFlags returns the W3C flags.
func (sc SpanContext) TraceFlags() TraceFlags { return sc.flags }

// IsSampled reports whether the sampled flag is set.
func (sc SpanContext) IsSampled() bool { return sc.flags.IsSampled() }

// IsRemote reports whether sc was extracted from another process.
func (sc SpanContext) IsRemote() bool { return sc.remote }

// TraceState returns the W3C tracestate value ("" if none).
func (sc SpanContext) TraceState() string { return sc.traceState }

// IsValid reports whether both ids are valid.
func (sc SpanContext) IsValid() bool { return sc.traceID.IsValid() && sc.spanID.IsValid() }

// WithTraceState returns a copy of sc with the given tracestate.
func (sc SpanContext) WithTraceState(ts string) SpanContext { sc.traceState = ts; return sc }

// WithRemote returns a copy of sc with the remote mark set to remote.
func (sc SpanContext) WithRemote(remote bool) SpanContext { sc.remote = remote; return sc }

// WithTraceFlags returns a copy of sc with the given flags.
func (sc SpanContext) WithTraceFlags(f TraceFlags) SpanContext { sc.flags = f; return sc }

// Traceparent returns sc in the W3C traceparent form
// "00-<trace id>-<span id>-<flags>", or "" if sc is invalid.
func (sc SpanContext) Traceparent() string {
	if !sc.IsValid() {
		return ""
	}
	var b [55]byte
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], sc.traceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], sc.spanID[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{byte(sc.flags)})
	return string(b[:])
}

// String returns the traceparent form, for people.
func (sc SpanContext) String() string { return sc.Traceparent() }
