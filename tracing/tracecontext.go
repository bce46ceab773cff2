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
// flags other than sampled and random are cleared. Several tracestate
// headers are joined, and empty members ignored; a tracestate with a
// malformed or duplicated member, or with more than 32 members, is
// dropped whole, never forwarded broken. A valid tracestate longer than
// MaxTracestateBytes is truncated by whole members, those over 128
// characters first, then from the end. Inject always writes version 00
// and only the flags it knows (sampled, random).
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

// Tracestate limits from the W3C specification.
const (
	maxTracestateMembers    = 32
	tracestateLongMember    = 128
	maxTracestateKeyLen     = 256
	maxTracestateValueLen   = 256
	maxTracestateTenantLen  = 241
	maxTracestateSystemLen  = 14
	maxTracestateHeaderScan = 64 << 10 // beyond this, a header is not even read
)

// MaxTracestateBytes is the longest tracestate the propagators forward.
// The specification asks to propagate at least 512 characters and to
// document a limit; 4096 stays well within the 8 KB that common proxies
// accept for a whole header line, which a tracestate of 32 members of
// 256-character keys and values (16 KB) would not.
const MaxTracestateBytes = 4096

// NormalizeTracestate validates a (joined) tracestate value and returns it
// in canonical form: members separated by "," without white space, empty
// members removed, at most MaxTracestateBytes long (see TraceContext for
// the truncation rule). It returns "" if any member is malformed or a key
// repeats, if there are more than 32 members, or if the value is absurdly
// long.
func NormalizeTracestate(s string) string {
	if len(s) > maxTracestateHeaderScan {
		return ""
	}
	var buf [maxTracestateMembers]string
	members := buf[:0]
	size := -1
	for part := range strings.SplitSeq(s, ",") {
		m := strings.Trim(part, " \t")
		if m == "" {
			continue
		}
		if len(members) == maxTracestateMembers {
			return "" // the list allows 32 members
		}
		key, ok := tracestateMemberKey(m)
		if !ok {
			return ""
		}
		for _, o := range members {
			if strings.HasPrefix(o, key) && o[len(key)] == '=' {
				return ""
			}
		}
		members = append(members, m)
		size += len(m) + 1
	}
	if size > MaxTracestateBytes {
		members = truncateTracestate(members, size)
	}
	return strings.Join(members, ",")
}

// truncateTracestate removes whole members until the list (of joined
// length size) fits MaxTracestateBytes: members longer than 128
// characters first, from the end, then the others from the end.
func truncateTracestate(members []string, size int) []string {
	for i := len(members) - 1; i >= 0 && size > MaxTracestateBytes; i-- {
		if len(members[i]) > tracestateLongMember {
			size -= len(members[i]) + 1
			members = append(members[:i], members[i+1:]...)
		}
	}
	for size > MaxTracestateBytes && len(members) > 0 {
		size -= len(members[len(members)-1]) + 1
		members = members[:len(members)-1]
	}
	return members
}

// tracestateMemberKey checks a list member "key=value" and returns its key.
func tracestateMemberKey(m string) (string, bool) {
	eq := strings.IndexByte(m, '=')
	if eq <= 0 {
		return "", false
	}
	key, val := m[:eq], m[eq+1:]
	if !validTracestateKey(key) || !validTracestateValue(val) {
		return "", false
	}
	return key, true
}

func isLcAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool   { return '0' <= c && c <= '9' }
func isKeyChar(c byte) bool {
	return isLcAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/'
}

func validTracestateKey(k string) bool {
	if at := strings.IndexByte(k, '@'); at >= 0 {
		tenant, system := k[:at], k[at+1:]
		if len(tenant) == 0 || len(tenant) > maxTracestateTenantLen || len(system) == 0 || len(system) > maxTracestateSystemLen {
			return false
		}
		if !isLcAlpha(tenant[0]) && !isDigit(tenant[0]) || !isLcAlpha(system[0]) {
			return false
		}
		for i := 1; i < len(tenant); i++ {
			if !isKeyChar(tenant[i]) {
				return false
			}
		}
		for i := 1; i < len(system); i++ {
			if !isKeyChar(system[i]) {
				return false
			}
		}
		return true
	}
	if len(k) == 0 || len(k) > maxTracestateKeyLen || !isLcAlpha(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isKeyChar(k[i]) {
			return false
		}
	}
	return true
}

func validTracestateValue(v string) bool {
	if len(v) == 0 || len(v) > maxTracestateValueLen || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}
