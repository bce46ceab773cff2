package httpkittest

import (
	"fmt"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// The caller's ids in the cases below.
var (
	CallerTrace  = mustTrace("12345678901234567890123456789012")
	CallerParent = mustSpan("1234567890123456")
	// OtherTrace is the id of a second, conflicting traceparent.
	OtherTrace = mustTrace("12345678901234567890123456789011")
)

const (
	callerTP = "00-12345678901234567890123456789012-1234567890123456-01"
	tidHex   = "12345678901234567890123456789012"
	pidHex   = "1234567890123456"
)

func mustTrace(s string) tracing.TraceID {
	id, err := tracing.TraceIDFromHex(s)
	if err != nil {
		panic(err)
	}
	return id
}

func mustSpan(s string) tracing.SpanID {
	id, err := tracing.SpanIDFromHex(s)
	if err != nil {
		panic(err)
	}
	return id
}

// continued is the outcome of a valid sampled traceparent from the caller.
func continued() Want { return Want{Trace: CallerTrace, Parent: CallerParent} }

// restarted is the outcome of a trace context the service must ignore.
func restarted(not ...tracing.TraceID) Want {
	return Want{NotTrace: append([]tracing.TraceID{CallerTrace, OtherTrace}, not...)}
}

func tp(v string) [2]string { return [2]string{"traceparent", v} }
func ts(v string) [2]string { return [2]string{"tracestate", v} }

func withState(state string) Want {
	w := continued()
	w.Tracestate = state
	return w
}

// W3CCases are the W3C Trace Context (Level 2) rules for a service that
// receives a request and calls another service, written from the
// specification (https://www.w3.org/TR/trace-context-2/, sections 3.2
// traceparent, 3.3 tracestate, 3.4-3.5 mutations) and the cases of its
// test suite (w3c/trace-context test/test.py). Every case is served
// normally; the sampled cases are exported.
func W3CCases() []PropagationCase {
	tpv := func(ver, tid, pid, flags string) [2]string { return tp(ver + "-" + tid + "-" + pid + "-" + flags) }
	cases := []PropagationCase{
		// 3.2 traceparent.
		{Name: "no trace headers", Header: nil, Want: restarted()},
		{Name: "valid", Header: [][2]string{tp(callerTP)}, Want: continued()},
		{Name: "sampled flag unset is respected", Header: [][2]string{tpv("00", tidHex, pidHex, "00")},
			Want: Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: true}},
		// Level 2, 3.2.2.5.2: a participant that keeps the trace id sends
		// the random flag on as it came.
		{Name: "random flag propagated", Header: [][2]string{tpv("00", tidHex, pidHex, "03")},
			Want:       Want{Trace: CallerTrace, Parent: CallerParent, Random: true},
			Deviations: randomFlagDeviations(false)},
		{Name: "random flag unsampled", Header: [][2]string{tpv("00", tidHex, pidHex, "02")},
			Want:       Want{Trace: CallerTrace, Parent: CallerParent, Random: true, Unsampled: true},
			Deviations: randomFlagDeviations(true)},
		{Name: "unknown flags cleared", Header: [][2]string{tpv("00", tidHex, pidHex, "09")}, Want: continued()},
		{Name: "duplicated traceparent", Header: [][2]string{tpv("00", "12345678901234567890123456789011", pidHex, "01"), tp(callerTP)},
			Want: restarted()},
		{Name: "duplicated identical traceparent", Header: [][2]string{tp(callerTP), tp(callerTP)}, Want: restarted()},
		{Name: "header name trace-parent", Header: [][2]string{{"trace-parent", callerTP}}, Want: restarted()},
		{Name: "header name trace.parent", Header: [][2]string{{"trace.parent", callerTP}}, Want: restarted()},
		{Name: "header name TraceParent", Header: [][2]string{{"TraceParent", callerTP}}, Want: continued()},
		{Name: "header name TrAcEpArEnT", Header: [][2]string{{"TrAcEpArEnT", callerTP}}, Want: continued()},
		{Name: "header name TRACEPARENT", Header: [][2]string{{"TRACEPARENT", callerTP}}, Want: continued()},
		{Name: "version 00 trailing character", Header: [][2]string{tp(callerTP + ".")}, Want: restarted()},
		{Name: "version 00 extra field", Header: [][2]string{tp(callerTP + "-what-the-future-will-be-like")}, Want: restarted()},
		{Name: "future version cc", Header: [][2]string{tpv("cc", tidHex, pidHex, "01")}, Want: continued()},
		{Name: "future version cc with fields", Header: [][2]string{tpv("cc", tidHex, pidHex, "01-what-the-future-will-be-like")}, Want: continued()},
		{Name: "future version cc flags then dot", Header: [][2]string{tpv("cc", tidHex, pidHex, "01.what-the-future-will-be-like")}, Want: restarted()},
		{Name: "future version cc unknown flags", Header: [][2]string{tpv("cc", tidHex, pidHex, "f1-x")}, Want: continued()},
		{Name: "future version too short", Header: [][2]string{tp("cc-" + tidHex + "-" + pidHex)}, Want: restarted()},
		{Name: "version ff", Header: [][2]string{tpv("ff", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version upper case", Header: [][2]string{tpv("CC", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version illegal character first", Header: [][2]string{tpv(".0", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version illegal character second", Header: [][2]string{tpv("0.", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version too long 3", Header: [][2]string{tpv("000", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version too long 4", Header: [][2]string{tpv("0000", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "version too short", Header: [][2]string{tpv("0", tidHex, pidHex, "01")}, Want: restarted()},
		{Name: "trace id all zero", Header: [][2]string{tpv("00", strings.Repeat("0", 32), pidHex, "01")}, Want: restarted()},
		{Name: "trace id illegal first", Header: [][2]string{tpv("00", "."+tidHex[1:], pidHex, "01")}, Want: restarted()},
		{Name: "trace id illegal last", Header: [][2]string{tpv("00", tidHex[:31]+".", pidHex, "01")}, Want: restarted()},
		{Name: "trace id upper case", Header: [][2]string{tpv("00", "ABCDEF78901234567890123456789012", pidHex, "01")},
			Want: restarted(mustTrace("abcdef78901234567890123456789012"))},
		{Name: "trace id too long", Header: [][2]string{tpv("00", tidHex+"3", pidHex, "01")},
			Want: restarted(mustTrace("23456789012345678901234567890123"))},
		{Name: "trace id too short", Header: [][2]string{tpv("00", tidHex[:31], pidHex, "01")},
			Want: restarted(mustTrace("01234567890123456789012345678901"))},
		{Name: "parent id all zero", Header: [][2]string{tpv("00", tidHex, strings.Repeat("0", 16), "01")}, Want: restarted()},
		{Name: "parent id illegal first", Header: [][2]string{tpv("00", tidHex, "."+pidHex[1:], "01")}, Want: restarted()},
		{Name: "parent id illegal last", Header: [][2]string{tpv("00", tidHex, pidHex[:15]+".", "01")}, Want: restarted()},
		{Name: "parent id upper case", Header: [][2]string{tpv("00", tidHex, "ABCDEF7890123456", "01")}, Want: restarted()},
		{Name: "parent id too long", Header: [][2]string{tpv("00", tidHex, pidHex+"7", "01")}, Want: restarted()},
		{Name: "parent id too short", Header: [][2]string{tpv("00", tidHex, pidHex[:15], "01")}, Want: restarted()},
		{Name: "flags illegal first", Header: [][2]string{tpv("00", tidHex, pidHex, ".0")}, Want: restarted()},
		{Name: "flags illegal last", Header: [][2]string{tpv("00", tidHex, pidHex, "0.")}, Want: restarted()},
		{Name: "flags upper case", Header: [][2]string{tpv("00", tidHex, pidHex, "0B")}, Want: restarted()},
		{Name: "flags too long", Header: [][2]string{tpv("00", tidHex, pidHex, "001")}, Want: restarted()},
		{Name: "flags too short", Header: [][2]string{tpv("00", tidHex, pidHex, "1")}, Want: restarted()},
		{Name: "flags missing", Header: [][2]string{tp("00-" + tidHex + "-" + pidHex)}, Want: restarted()},
		{Name: "huge traceparent", Header: [][2]string{tp("00-" + tidHex + strings.Repeat("a", 64<<10) + "-" + pidHex + "-01")}, Want: restarted()},
		{Name: "only dashes", Header: [][2]string{tp(strings.Repeat("-", 100000))}, Want: restarted()},
		// Optional white space around the value is not part of it (RFC
		// 9110; net/http's server trims it already).
		{Name: "OWS leading space", Header: [][2]string{tp(" " + callerTP)}, Want: continued()},
		{Name: "OWS leading tab", Header: [][2]string{tp("\t" + callerTP)}, Want: continued()},
		{Name: "OWS trailing space", Header: [][2]string{tp(callerTP + " ")}, Want: continued()},
		{Name: "OWS trailing tab", Header: [][2]string{tp(callerTP + "\t")}, Want: continued()},
		{Name: "OWS both", Header: [][2]string{tp("\t " + callerTP + " \t")}, Want: continued()},

		// 3.3 tracestate.
		{Name: "tracestate without traceparent", Header: [][2]string{ts("foo=1")}, Want: restarted()},
		{Name: "tracestate with invalid traceparent", Header: [][2]string{tp("00-" + tidHex + "-" + pidHex), ts("foo=1")}, Want: restarted()},
		{Name: "tracestate inherited", Header: [][2]string{tp(callerTP), ts("foo=1,bar=2")}, Want: withState("foo=1,bar=2")},
		{Name: "tracestate header name trace-state", Header: [][2]string{tp(callerTP), {"trace-state", "foo=1"}}, Want: withState("")},
		{Name: "tracestate header name trace.state", Header: [][2]string{tp(callerTP), {"trace.state", "foo=1"}}, Want: withState("")},
		{Name: "tracestate header name TraceState", Header: [][2]string{tp(callerTP), {"TraceState", "foo=1"}}, Want: withState("foo=1")},
		{Name: "tracestate header name TrAcEsTaTe", Header: [][2]string{tp(callerTP), {"TrAcEsTaTe", "foo=1"}}, Want: withState("foo=1")},
		{Name: "tracestate header name TRACESTATE", Header: [][2]string{tp(callerTP), {"TRACESTATE", "foo=1"}}, Want: withState("foo=1")},
		{Name: "tracestate empty", Header: [][2]string{tp(callerTP), ts("")}, Want: withState("")},
		{Name: "tracestate empty then member", Header: [][2]string{tp(callerTP), ts(""), ts("foo=1")}, Want: withState("foo=1")},
		{Name: "tracestate member then empty", Header: [][2]string{tp(callerTP), ts("foo=1"), ts("")}, Want: withState("foo=1")},
		{Name: "tracestate empty members", Header: [][2]string{tp(callerTP), ts(" , foo=1 ,, ,bar=2,")}, Want: withState("foo=1,bar=2")},
		{Name: "tracestate several headers joined", Header: [][2]string{tp(callerTP), ts("foo=1,bar=2"), ts("rojo=1,congo=2"), ts("baz=3")},
			Want: withState("foo=1,bar=2,rojo=1,congo=2,baz=3")},
		{Name: "tracestate duplicated keys", Header: [][2]string{tp(callerTP), ts("foo=1,foo=1")}, Want: withState("")},
		{Name: "tracestate duplicated keys values differ", Header: [][2]string{tp(callerTP), ts("foo=1,foo=2")}, Want: withState("")},
		{Name: "tracestate duplicated keys across headers", Header: [][2]string{tp(callerTP), ts("foo=1"), ts("foo=2")}, Want: withState("")},
		{Name: "tracestate all allowed characters", Header: [][2]string{tp(callerTP), ts(allKeyChars + "=" + allValueChars)},
			Want: withState(allKeyChars + "=" + allValueChars)},
		{Name: "tracestate all allowed characters multi-tenant", Header: [][2]string{tp(callerTP), ts(allKeyChars + "@a-z0-9_-*/=" + allValueChars)},
			Want: withState(allKeyChars + "@a-z0-9_-*/=" + allValueChars)},
		{Name: "tracestate OWS around members", Header: [][2]string{tp(callerTP), ts("foo=1 \t , \t bar=2, \t baz=3")}, Want: withState("foo=1,bar=2,baz=3")},
		{Name: "tracestate OWS tabs", Header: [][2]string{tp(callerTP), ts("foo=1\t \t,\t \tbar=2,\t \tbaz=3")}, Want: withState("foo=1,bar=2,baz=3")},
		{Name: "tracestate OWS leading", Header: [][2]string{tp(callerTP), ts(" foo=1")}, Want: withState("foo=1")},
		{Name: "tracestate OWS trailing", Header: [][2]string{tp(callerTP), ts("foo=1\t")}, Want: withState("foo=1")},
		{Name: "tracestate value keeps inner spaces", Header: [][2]string{tp(callerTP), ts("foo= a b")}, Want: withState("foo= a b")},
		{Name: "tracestate key with space", Header: [][2]string{tp(callerTP), ts("foo =1")}, Want: withState("")},
		{Name: "tracestate key upper case", Header: [][2]string{tp(callerTP), ts("FOO=1")}, Want: withState("")},
		{Name: "tracestate key with dot", Header: [][2]string{tp(callerTP), ts("foo.bar=1")}, Want: withState("")},
		{Name: "tracestate key starting with a digit", Header: [][2]string{tp(callerTP), ts("1foo=1,bar=2")}, Want: withState("")},
		{Name: "tracestate vendor empty", Header: [][2]string{tp(callerTP), ts("foo@=1,bar=2")}, Want: withState("")},
		{Name: "tracestate tenant empty", Header: [][2]string{tp(callerTP), ts("@foo=1,bar=2")}, Want: withState("")},
		{Name: "tracestate double at", Header: [][2]string{tp(callerTP), ts("foo@@bar=1,bar=2")}, Want: withState("")},
		{Name: "tracestate two ats", Header: [][2]string{tp(callerTP), ts("foo@bar@baz=1,bar=2")}, Want: withState("")},
		// A vendor adding its own member to a full list removes the
		// rightmost one (3.3.1.1, 3.5).
		{Name: "tracestate 32 members", Header: append([][2]string{tp(callerTP)}, members(1, 32)...), Want: withState(memberList(1, 32)),
			PerBackend: map[string]Want{"datadog": withState(memberList(1, 31))}},
		{Name: "tracestate 33 members", Header: append([][2]string{tp(callerTP)}, members(1, 33)...), Want: withState("")},
		{Name: "tracestate key of 256", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("z", 256) + "=1")},
			Want: withState("foo=1," + strings.Repeat("z", 256) + "=1")},
		{Name: "tracestate key of 257", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("z", 257) + "=1")}, Want: withState("")},
		{Name: "tracestate tenant of 241 vendor of 14", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1")},
			Want: withState("foo=1," + strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1")},
		{Name: "tracestate tenant of 242", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("t", 242) + "@v=1")}, Want: withState("")},
		{Name: "tracestate vendor of 15", Header: [][2]string{tp(callerTP), ts("foo=1"), ts("t@" + strings.Repeat("v", 15) + "=1")}, Want: withState("")},
		{Name: "tracestate value with equals", Header: [][2]string{tp(callerTP), ts("foo=bar=baz")}, Want: withState("")},
		{Name: "tracestate value empty", Header: [][2]string{tp(callerTP), ts("foo=,bar=3")}, Want: withState("")},
		{Name: "tracestate value of 257", Header: [][2]string{tp(callerTP), ts("foo=" + strings.Repeat("v", 257))}, Want: withState("")},
		{Name: "tracestate member without equals", Header: [][2]string{tp(callerTP), ts("foo=1,bar")}, Want: withState("")},
		// 3.3.1.5 limits: over MaxTracestateBytes, whole members go, those
		// over 128 characters first (from the end), then from the end.
		// 20 long members of 150 characters and 12 short ones of 101 make
		// 20*151 + 12*102 - 1 = 4243 bytes; removing the last long member
		// (151 bytes) leaves 4092.
		{Name: "tracestate truncated", Header: [][2]string{tp(callerTP), ts(truncationInput())}, Want: withState(truncationOutput())},
		{Name: "tracestate huge", Header: [][2]string{tp(callerTP), ts(strings.Repeat("k=v,", 20000))}, Want: withState("")},
		{Name: "tracestate huge invalid traceparent", Header: [][2]string{tp("00-zz-" + pidHex + "-01"), ts(strings.Repeat("k=v,", 20000))}, Want: restarted()},
		// 3.5: on a new trace the caller's tracestate is not forwarded.
		{Name: "tracestate dropped on restart", Header: [][2]string{tp("ff-" + tidHex + "-" + pidHex + "-01"), ts("foo=1")}, Want: restarted()},
	}
	return cases
}

// randomFlagDeviations are the backends whose vendor SDK cannot carry the
// Level 2 random flag of a trace it continues.
func randomFlagDeviations(unsampled bool) map[string]Deviation {
	w := Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: unsampled}
	return map[string]Deviation{
		"datadog": {Want: w, Why: "dd-trace-go v2.3 has no random flag: its span context keeps the sampling priority, " +
			"and its tracecontext injector writes flags 00 or 01 only"},
		"jaeger": {Want: w, Why: "a jaeger-client-go span context has one flags byte in which 0x02 is jaeger's debug flag, " +
			"so the W3C random flag (also 0x02) cannot be kept in it"},
	}
}

// allKeyChars and allValueChars are every character a tracestate key
// (without a vendor part) and value may hold (test_tracestate_all_allowed_characters).
var (
	allKeyChars   = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
	allValueChars = chars(0x20, 0x2b) + chars(0x2d, 0x3c) + chars(0x3e, 0x7e)
)

func chars(from, to byte) string {
	var sb strings.Builder
	for c := from; c <= to; c++ {
		sb.WriteByte(c)
	}
	return sb.String()
}

// members returns tracestate members bar<from>…bar<to>, ten per header.
func members(from, to int) [][2]string {
	var out [][2]string
	var cur []string
	for i := from; i <= to; i++ {
		cur = append(cur, fmt.Sprintf("bar%02d=%02d", i, i))
		if len(cur) == 10 || i == to {
			out = append(out, ts(strings.Join(cur, ",")))
			cur = nil
		}
	}
	return out
}

func memberList(from, to int) string {
	var all []string
	for _, h := range members(from, to) {
		all = append(all, h[1])
	}
	return strings.Join(all, ",")
}

func truncationMembers() (long, short []string) {
	for i := range 20 {
		long = append(long, fmt.Sprintf("l%02d=%s", i, strings.Repeat("x", 146))) // 150
	}
	for i := range 12 {
		short = append(short, fmt.Sprintf("s%02d=%s", i, strings.Repeat("y", 97))) // 101
	}
	return long, short
}

func truncationInput() string {
	long, short := truncationMembers()
	return strings.Join(append(long, short...), ",")
}

func truncationOutput() string {
	long, short := truncationMembers()
	return strings.Join(append(long[:19], short...), ",")
}

// BaggageCases are the W3C Baggage rules (https://www.w3.org/TR/baggage/):
// members and properties forwarded in canonical form, malformed members
// dropped one by one, several headers joined, at most 64 members and 8192
// bytes forwarded, dropping whole members, and a huge header read in
// bounded memory. Baggage travels whatever the trace context.
func BaggageCases() []PropagationCase {
	bag := func(v string) [2]string { return [2]string{"baggage", v} }
	with := func(b string) Want { w := continued(); w.Baggage = b; return w }
	var many []string
	for i := range 100 {
		many = append(many, fmt.Sprintf("k%02d=%d", i, i))
	}
	return []PropagationCase{
		{Name: "baggage forwarded", Header: [][2]string{tp(callerTP), bag("userId=alice,serverNode=DF%2028;prop=1,isProduction=false")},
			Want: with("userId=alice,serverNode=DF%2028;prop=1,isProduction=false")},
		{Name: "baggage OWS", Header: [][2]string{tp(callerTP), bag(" userId = alice , serverNode=DF%2028 ; prop=1 ")},
			Want: with("userId=alice,serverNode=DF%2028;prop=1")},
		{Name: "baggage several headers", Header: [][2]string{tp(callerTP), bag("a=1"), bag("b=2")}, Want: with("a=1,b=2")},
		{Name: "baggage malformed members dropped", Header: [][2]string{tp(callerTP), bag("a=1,bad member,=x,k(=1,c=%zz,b=2")}, Want: with("a=1,b=2")},
		{Name: "baggage malformed property", Header: [][2]string{tp(callerTP), bag("a=1;p=%zz,b=2;p=ok")}, Want: with("b=2;p=ok")},
		{Name: "baggage 64 members", Header: [][2]string{tp(callerTP), bag(strings.Join(many, ","))}, Want: with(strings.Join(many[:64], ","))},
		{Name: "baggage 8192 bytes", Header: [][2]string{tp(callerTP), bag("a=" + strings.Repeat("x", 5000) + ",b=" + strings.Repeat("y", 5000) + ",c=z")},
			Want: with("a=" + strings.Repeat("x", 5000))},
		{Name: "baggage huge", Header: [][2]string{tp(callerTP), bag(strings.Repeat("junk,", 180000))}, Want: with("")},
		{Name: "baggage huge then valid", Header: [][2]string{tp(callerTP), bag(strings.Repeat("k=v;p=%zz,", 80000))}, Want: with("")},
		{Name: "baggage without trace context", Header: [][2]string{bag("a=1")}, Want: Want{NotTrace: []tracing.TraceID{CallerTrace}, Baggage: "a=1"}},
		{Name: "baggage with invalid traceparent", Header: [][2]string{tp("garbage"), bag("a=1")}, Want: Want{NotTrace: []tracing.TraceID{CallerTrace}, Baggage: "a=1"}},
	}
}

// RepresentativeCases are a few cases of each kind (trace context
// continued, restarted, tracestate joined and dropped, baggage, the
// sampled flag), for the adapters that share tracehttp's propagation code
// (httpkit.Server) and need not run every case again.
func RepresentativeCases() []PropagationCase {
	pick := map[string]bool{
		"valid": true, "sampled flag unset is respected": true, "duplicated traceparent": true, "future version cc with fields": true,
		"trace id upper case": true, "tracestate several headers joined": true, "tracestate 33 members": true,
		"baggage several headers": true, "baggage 8192 bytes": true, "uber-trace-id valid": true, "x-datadog valid 128-bit": true,
	}
	var out []PropagationCase
	for _, c := range append(append(append(W3CCases(), BaggageCases()...), JaegerCases()...), DatadogCases()...) {
		if pick[c.Name] {
			out = append(out, c)
		}
	}
	return out
}
