package tracing

import (
	"context"
	"strings"
)

// W3C trace context header names.
const (
	HeaderTraceparent = "traceparent"
	HeaderTracestate  = "tracestate"
)

// TraceContext is the W3C Trace Context (Level 2) propagator: traceparent
// and tracestate.
//
// Extract follows the specification's rules: exactly one traceparent
// header (two are invalid, even if equal); version 00 is exactly 55
// characters, a higher version may carry more fields after a dash and is
// read by its first four; version ff, upper case hex, all-zero ids and
// wrong lengths are invalid (the request then starts a new trace). The
// flags other than sampled and random are cleared; the random flag is
// kept as it came. Several tracestate headers are joined and read by
// ParseTraceState's Level 2 rules: empty members are ignored, a key that
// comes again keeps its first member (the list is still forwarded), a
// tracestate with a malformed member or more than 32 members is dropped
// whole, never forwarded broken, and one longer than MaxTracestateBytes
// is cut by whole members. Inject always writes version 00 and only the
// flags it knows (sampled, random).
type TraceContext struct{}

// Inject writes traceparent, and tracestate if there is one.
func (TraceContext) Inject(ctx context.Context, c Carrier) {
	sc := SpanFromContext(ctx).SpanContext()
	if !sc.IsValid() {
		return
	}
	sc.flags &= FlagsSampled | FlagsRandom
	c.Set(HeaderTraceparent, sc.Traceparent())
	if ts := sc.TraceState(); ts != "" {
		c.Set(HeaderTracestate, ts)
	}
}

// Extract reads traceparent and tracestate.
func (TraceContext) Extract(ctx context.Context, c Carrier) context.Context {
	sc, ok := ExtractTraceContext(c)
	if !ok {
		return ctx
	}
	return ContextWithRemoteSpanContext(ctx, sc)
}

// Fields returns traceparent and tracestate.
func (TraceContext) Fields() []string { return []string{HeaderTraceparent, HeaderTracestate} }

// Names returns "tracecontext".
func (TraceContext) Names() []string { return []string{"tracecontext"} }

// ExtractTraceContext reads a W3C trace context from c by the rules
// TraceContext documents. It returns false if there is no valid traceparent.
func ExtractTraceContext(c Carrier) (SpanContext, bool) {
	tps := carrierValues(c, HeaderTraceparent)
	if len(tps) != 1 {
		return SpanContext{}, false
	}
	sc, ok := ParseTraceparent(tps[0])
	if !ok {
		return SpanContext{}, false
	}
	switch ts := carrierValues(c, HeaderTracestate); len(ts) {
	case 0:
	case 1:
		sc.traceState = NormalizeTracestate(ts[0])
	default:
		n := len(ts) - 1
		for _, v := range ts {
			n += len(v)
		}
		if n <= maxTracestateHeaderScan { // joined, it would be dropped anyway
			sc.traceState = NormalizeTracestate(strings.Join(ts, ","))
		}
	}
	return sc, true
}

// ParseTraceparent parses a traceparent header value. The result is marked
// remote.
func ParseTraceparent(s string) (SpanContext, bool) {
	// Leading and trailing optional white space is not part of the value
	// (RFC 9110); anything else out of place makes it invalid.
	s = strings.Trim(s, " \t")
	if len(s) < 55 {
		return SpanContext{}, false
	}
	ver, ok := hexByte(s[0], s[1])
	if !ok || ver == 0xff || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return SpanContext{}, false
	}
	if ver == 0 && len(s) != 55 {
		return SpanContext{}, false
	}
	if ver > 0 && len(s) > 55 && s[55] != '-' {
		return SpanContext{}, false
	}
	var sc SpanContext
	if !decodeLowerHex(sc.traceID[:], s[3:35]) || !sc.traceID.IsValid() {
		return SpanContext{}, false
	}
	if !decodeLowerHex(sc.spanID[:], s[36:52]) || !sc.spanID.IsValid() {
		return SpanContext{}, false
	}
	flags, ok := hexByte(s[53], s[54])
	if !ok {
		return SpanContext{}, false
	}
	sc.flags = TraceFlags(flags)
	if ver == 0 {
		// Version 00 defines only these two flags.
		sc.flags &= FlagsSampled | FlagsRandom
	}
	sc.remote = true
	return sc, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexVal(hi)
	l, ok2 := hexVal(lo)
	return h<<4 | l, ok1 && ok2
}

// decodeLowerHex decodes lowercase hex s into dst (len(s) == 2*len(dst)).
func decodeLowerHex(dst []byte, s string) bool {
	for i := range dst {
		b, ok := hexByte(s[2*i], s[2*i+1])
		if !ok {
			return false
		}
		dst[i] = b
	}
	return true
}
