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

// callerTP00 is callerTP not sampled, as the test suite sends it with
// tracestate.
const callerTP00 = "00-12345678901234567890123456789012-1234567890123456-00"

// unsampledState is the outcome of callerTP00 with a tracestate forwarded.
func unsampledState(state string) Want {
	w := withState(state)
	w.Unsampled = true
	return w
}

// suite marks cases as reproducing test name of the public test suite.
func suite(name string, cases ...PropagationCase) []PropagationCase {
	for i := range cases {
		cases[i].Suite = name
	}
	return cases
}

// W3CSuiteTests are the 41 tests of the public W3C Trace Context test
// suite (https://github.com/w3c/trace-context, test/test.py, as of
// commit acab820 "Fix tracestate key grammar tests", June 2026) that run
// with SPEC_LEVEL=2 and STRICT_LEVEL=2: 37 of TraceContextTest (6 of them
// strict), the 3 of AdvancedTest and TraceContext2Test's one. Each is
// reproduced by the cases of W3CCases whose Suite names it, with every
// request it sends; a case checks more than the suite asserts (the exact
// tracestate forwarded, the sampled and random flags, the spans
// exported).
var W3CSuiteTests = []string{
	"TraceContextTest.test_both_traceparent_and_tracestate_missing",
	"TraceContextTest.test_traceparent_included_tracestate_missing",
	"TraceContextTest.test_traceparent_duplicated",
	"TraceContextTest.test_traceparent_header_name",
	"TraceContextTest.test_traceparent_header_name_valid_casing",
	"TraceContextTest.test_traceparent_version_0x00",
	"TraceContextTest.test_traceparent_version_0xcc",
	"TraceContextTest.test_traceparent_version_0xff",
	"TraceContextTest.test_traceparent_version_illegal_characters",
	"TraceContextTest.test_traceparent_version_too_long",
	"TraceContextTest.test_traceparent_version_too_short",
	"TraceContextTest.test_traceparent_trace_id_all_zero",
	"TraceContextTest.test_traceparent_trace_id_illegal_characters",
	"TraceContextTest.test_traceparent_trace_id_too_long",
	"TraceContextTest.test_traceparent_trace_id_too_short",
	"TraceContextTest.test_traceparent_parent_id_all_zero",
	"TraceContextTest.test_traceparent_parent_id_illegal_characters",
	"TraceContextTest.test_traceparent_parent_id_too_long",
	"TraceContextTest.test_traceparent_parent_id_too_short",
	"TraceContextTest.test_traceparent_trace_flags_illegal_characters",
	"TraceContextTest.test_traceparent_trace_flags_too_long",
	"TraceContextTest.test_traceparent_trace_flags_too_short",
	"TraceContextTest.test_traceparent_ows_handling",
	"TraceContextTest.test_tracestate_included_traceparent_missing",
	"TraceContextTest.test_tracestate_included_traceparent_included",
	"TraceContextTest.test_tracestate_header_name",
	"TraceContextTest.test_tracestate_header_name_valid_casing",
	"TraceContextTest.test_tracestate_empty_header",
	"TraceContextTest.test_tracestate_multiple_headers_different_keys",
	"TraceContextTest.test_tracestate_duplicated_keys",
	"TraceContextTest.test_tracestate_all_allowed_characters",
	"TraceContextTest.test_tracestate_ows_handling",
	"TraceContextTest.test_tracestate_key_illegal_characters",
	"TraceContextTest.test_tracestate_key_illegal_vendor_format",
	"TraceContextTest.test_tracestate_member_count_limit",
	"TraceContextTest.test_tracestate_key_length_limit",
	"TraceContextTest.test_tracestate_value_illegal_characters",
	"AdvancedTest.test_multiple_requests_with_valid_traceparent",
	"AdvancedTest.test_multiple_requests_without_traceparent",
	"AdvancedTest.test_multiple_requests_with_illegal_traceparent",
	"TraceContext2Test.test_propagates_random_flag",
}

// W3CCases are the W3C Trace Context Level 2 rules for a service that
// receives a request and calls another service, written from the
// specification (https://www.w3.org/TR/trace-context-2/: 3.2 traceparent,
// 3.2.2.5 trace flags and the random trace id flag, 3.3 tracestate, 3.4
// and 3.5 mutations) and from the public test suite: every request of the
// 41 tests of W3CSuiteTests is a case here, with the test in its Suite
// field (the suite's own inputs, flags 00 included); cases without a
// Suite come from the specification's text. Every case is served
// normally; the sampled cases are exported.
func W3CCases() []PropagationCase {
	tpv := func(ver, tid, pid, flags string) [2]string { return tp(ver + "-" + tid + "-" + pid + "-" + flags) }
	const (
		tcTest = "TraceContextTest."
		adTest = "AdvancedTest."
	)
	var cases []PropagationCase
	add := func(cs ...[]PropagationCase) {
		for _, c := range cs {
			cases = append(cases, c...)
		}
	}

	// 3.2 traceparent.
	add(suite(tcTest+"test_both_traceparent_and_tracestate_missing",
		PropagationCase{Name: "no trace headers", Header: nil, Want: restarted()}),
		suite(tcTest+"test_traceparent_included_tracestate_missing",
			PropagationCase{Name: "valid", Header: [][2]string{tp(callerTP)}, Want: continued()}),
		[]PropagationCase{
			{Name: "sampled flag unset is respected", Header: [][2]string{tpv("00", tidHex, pidHex, "00")},
				Want: Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: true}},
			// 3.2.2.5.2: a participant that keeps the trace id sends the
			// random flag as it came, set or not ("valid" above: not).
			{Name: "random flag propagated", Header: [][2]string{tpv("00", tidHex, pidHex, "03")},
				Want: Want{Trace: CallerTrace, Parent: CallerParent, Random: true}},
		},
		suite("TraceContext2Test.test_propagates_random_flag",
			PropagationCase{Name: "random flag unsampled", Header: [][2]string{tpv("00", tidHex, pidHex, "02")},
				Want: Want{Trace: CallerTrace, Parent: CallerParent, Random: true, Unsampled: true}}),
		[]PropagationCase{
			{Name: "unknown flags cleared", Header: [][2]string{tpv("00", tidHex, pidHex, "09")}, Want: continued()},
			{Name: "unknown flags cleared, random kept", Header: [][2]string{tpv("00", tidHex, pidHex, "fe")},
				Want: Want{Trace: CallerTrace, Parent: CallerParent, Random: true, Unsampled: true}},
		},
		suite(tcTest+"test_traceparent_duplicated",
			PropagationCase{Name: "duplicated traceparent", Header: [][2]string{tpv("00", "12345678901234567890123456789011", pidHex, "01"), tp(callerTP)},
				Want: restarted()}),
		[]PropagationCase{
			{Name: "duplicated identical traceparent", Header: [][2]string{tp(callerTP), tp(callerTP)}, Want: restarted()},
		},
		suite(tcTest+"test_traceparent_header_name",
			PropagationCase{Name: "header name trace-parent", Header: [][2]string{{"trace-parent", callerTP}}, Want: restarted()},
			PropagationCase{Name: "header name trace.parent", Header: [][2]string{{"trace.parent", callerTP}}, Want: restarted()}),
		suite(tcTest+"test_traceparent_header_name_valid_casing",
			PropagationCase{Name: "header name TraceParent", Header: [][2]string{{"TraceParent", callerTP}}, Want: continued()},
			PropagationCase{Name: "header name TrAcEpArEnT", Header: [][2]string{{"TrAcEpArEnT", callerTP}}, Want: continued()},
			PropagationCase{Name: "header name TRACEPARENT", Header: [][2]string{{"TRACEPARENT", callerTP}}, Want: continued()}),
		suite(tcTest+"test_traceparent_version_0x00",
			PropagationCase{Name: "version 00 trailing character", Header: [][2]string{tp(callerTP + ".")}, Want: restarted()},
			PropagationCase{Name: "version 00 extra field", Header: [][2]string{tp(callerTP + "-what-the-future-will-be-like")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_version_0xcc",
			PropagationCase{Name: "future version cc", Header: [][2]string{tpv("cc", tidHex, pidHex, "01")}, Want: continued()},
			PropagationCase{Name: "future version cc with fields", Header: [][2]string{tpv("cc", tidHex, pidHex, "01-what-the-future-will-be-like")}, Want: continued()},
			PropagationCase{Name: "future version cc flags then dot", Header: [][2]string{tpv("cc", tidHex, pidHex, "01.what-the-future-will-be-like")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "future version cc unknown flags", Header: [][2]string{tpv("cc", tidHex, pidHex, "f1-x")}, Want: continued()},
			{Name: "future version too short", Header: [][2]string{tp("cc-" + tidHex + "-" + pidHex)}, Want: restarted()},
		},
		suite(tcTest+"test_traceparent_version_0xff",
			PropagationCase{Name: "version ff", Header: [][2]string{tpv("ff", tidHex, pidHex, "01")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "version upper case", Header: [][2]string{tpv("CC", tidHex, pidHex, "01")}, Want: restarted()},
		},
		suite(tcTest+"test_traceparent_version_illegal_characters",
			PropagationCase{Name: "version illegal character first", Header: [][2]string{tpv(".0", tidHex, pidHex, "01")}, Want: restarted()},
			PropagationCase{Name: "version illegal character second", Header: [][2]string{tpv("0.", tidHex, pidHex, "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_version_too_long",
			PropagationCase{Name: "version too long 3", Header: [][2]string{tpv("000", tidHex, pidHex, "01")}, Want: restarted()},
			PropagationCase{Name: "version too long 4", Header: [][2]string{tpv("0000", tidHex, pidHex, "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_version_too_short",
			PropagationCase{Name: "version too short", Header: [][2]string{tpv("0", tidHex, pidHex, "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_trace_id_all_zero",
			PropagationCase{Name: "trace id all zero", Header: [][2]string{tpv("00", strings.Repeat("0", 32), pidHex, "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_trace_id_illegal_characters",
			PropagationCase{Name: "trace id illegal first", Header: [][2]string{tpv("00", "."+tidHex[1:], pidHex, "01")}, Want: restarted()},
			PropagationCase{Name: "trace id illegal last", Header: [][2]string{tpv("00", tidHex[:31]+".", pidHex, "01")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "trace id upper case", Header: [][2]string{tpv("00", "ABCDEF78901234567890123456789012", pidHex, "01")},
				Want: restarted(mustTrace("abcdef78901234567890123456789012"))},
		},
		suite(tcTest+"test_traceparent_trace_id_too_long",
			PropagationCase{Name: "trace id too long", Header: [][2]string{tpv("00", tidHex+"3", pidHex, "01")},
				Want: restarted(mustTrace("23456789012345678901234567890123"))}),
		suite(tcTest+"test_traceparent_trace_id_too_short",
			PropagationCase{Name: "trace id too short", Header: [][2]string{tpv("00", tidHex[:31], pidHex, "01")},
				Want: restarted(mustTrace("01234567890123456789012345678901"))}),
		suite(tcTest+"test_traceparent_parent_id_all_zero",
			PropagationCase{Name: "parent id all zero", Header: [][2]string{tpv("00", tidHex, strings.Repeat("0", 16), "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_parent_id_illegal_characters",
			PropagationCase{Name: "parent id illegal first", Header: [][2]string{tpv("00", tidHex, "."+pidHex[1:], "01")}, Want: restarted()},
			PropagationCase{Name: "parent id illegal last", Header: [][2]string{tpv("00", tidHex, pidHex[:15]+".", "01")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "parent id upper case", Header: [][2]string{tpv("00", tidHex, "ABCDEF7890123456", "01")}, Want: restarted()},
		},
		suite(tcTest+"test_traceparent_parent_id_too_long",
			PropagationCase{Name: "parent id too long", Header: [][2]string{tpv("00", tidHex, pidHex+"7", "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_parent_id_too_short",
			PropagationCase{Name: "parent id too short", Header: [][2]string{tpv("00", tidHex, pidHex[:15], "01")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_trace_flags_illegal_characters",
			PropagationCase{Name: "flags illegal first", Header: [][2]string{tpv("00", tidHex, pidHex, ".0")}, Want: restarted()},
			PropagationCase{Name: "flags illegal last", Header: [][2]string{tpv("00", tidHex, pidHex, "0.")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "flags upper case", Header: [][2]string{tpv("00", tidHex, pidHex, "0B")}, Want: restarted()},
		},
		suite(tcTest+"test_traceparent_trace_flags_too_long",
			PropagationCase{Name: "flags too long", Header: [][2]string{tpv("00", tidHex, pidHex, "001")}, Want: restarted()}),
		suite(tcTest+"test_traceparent_trace_flags_too_short",
			PropagationCase{Name: "flags too short", Header: [][2]string{tpv("00", tidHex, pidHex, "1")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "flags missing", Header: [][2]string{tp("00-" + tidHex + "-" + pidHex)}, Want: restarted()},
			{Name: "huge traceparent", Header: [][2]string{tp("00-" + tidHex + strings.Repeat("a", 64<<10) + "-" + pidHex + "-01")}, Want: restarted()},
			{Name: "only dashes", Header: [][2]string{tp(strings.Repeat("-", 100000))}, Want: restarted()},
		},
		// Optional white space around the value is not part of it (RFC
		// 9110; net/http's server trims it already).
		suite(tcTest+"test_traceparent_ows_handling",
			PropagationCase{Name: "OWS leading space", Header: [][2]string{tp(" " + callerTP)}, Want: continued()},
			PropagationCase{Name: "OWS leading tab", Header: [][2]string{tp("\t" + callerTP)}, Want: continued()},
			PropagationCase{Name: "OWS trailing space", Header: [][2]string{tp(callerTP + " ")}, Want: continued()},
			PropagationCase{Name: "OWS trailing tab", Header: [][2]string{tp(callerTP + "\t")}, Want: continued()},
			PropagationCase{Name: "OWS both", Header: [][2]string{tp("\t " + callerTP + " \t")}, Want: continued()}),
	)

	// 3.3 tracestate: list (3.3.1.1), key and value (3.3.1.3), limits
	// (3.3.1.5). A malformed member or more than 32 make the list
	// invalid: it is not forwarded. A key that comes again keeps its
	// first member (Level 2 lets a participant drop duplicates; the suite
	// accepts either).
	add(suite(tcTest+"test_tracestate_included_traceparent_missing",
		PropagationCase{Name: "tracestate without traceparent", Header: [][2]string{ts("foo=1")}, Want: restarted()},
		PropagationCase{Name: "tracestate without traceparent two members", Header: [][2]string{ts("foo=1,bar=2")}, Want: restarted()}),
		[]PropagationCase{
			{Name: "tracestate with invalid traceparent", Header: [][2]string{tp("00-" + tidHex + "-" + pidHex), ts("foo=1")}, Want: restarted()},
			{Name: "tracestate inherited", Header: [][2]string{tp(callerTP), ts("foo=1,bar=2")}, Want: withState("foo=1,bar=2")},
		},
		suite(tcTest+"test_tracestate_included_traceparent_included",
			PropagationCase{Name: "tracestate inherited unsampled", Header: [][2]string{tp(callerTP00), ts("foo=1,bar=2")}, Want: unsampledState("foo=1,bar=2")}),
		suite(tcTest+"test_tracestate_header_name",
			PropagationCase{Name: "tracestate header name trace-state", Header: [][2]string{tp(callerTP00), {"trace-state", "foo=1"}}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate header name trace.state", Header: [][2]string{tp(callerTP00), {"trace.state", "foo=1"}}, Want: unsampledState("")}),
		suite(tcTest+"test_tracestate_header_name_valid_casing",
			PropagationCase{Name: "tracestate header name TraceState", Header: [][2]string{tp(callerTP00), {"TraceState", "foo=1"}}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate header name TrAcEsTaTe", Header: [][2]string{tp(callerTP00), {"TrAcEsTaTe", "foo=1"}}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate header name TRACESTATE", Header: [][2]string{tp(callerTP00), {"TRACESTATE", "foo=1"}}, Want: unsampledState("foo=1")}),
		suite(tcTest+"test_tracestate_empty_header",
			PropagationCase{Name: "tracestate empty", Header: [][2]string{tp(callerTP00), ts("")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate member then empty", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts("")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate empty then member", Header: [][2]string{tp(callerTP00), ts(""), ts("foo=1")}, Want: unsampledState("foo=1")}),
		[]PropagationCase{
			{Name: "tracestate empty members", Header: [][2]string{tp(callerTP), ts(" , foo=1 ,, ,bar=2,")}, Want: withState("foo=1,bar=2")},
			{Name: "tracestate several headers joined", Header: [][2]string{tp(callerTP), ts("foo=1,bar=2"), ts("rojo=1,congo=2"), ts("baz=3")},
				Want: withState("foo=1,bar=2,rojo=1,congo=2,baz=3")},
		},
		suite(tcTest+"test_tracestate_multiple_headers_different_keys",
			PropagationCase{Name: "tracestate several headers joined unsampled", Header: [][2]string{tp(callerTP00), ts("foo=1,bar=2"), ts("rojo=1,congo=2"), ts("baz=3")},
				Want: unsampledState("foo=1,bar=2,rojo=1,congo=2,baz=3")}),
		suite(tcTest+"test_tracestate_duplicated_keys",
			PropagationCase{Name: "tracestate duplicated keys", Header: [][2]string{tp(callerTP00), ts("foo=1,foo=1")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate duplicated keys values differ", Header: [][2]string{tp(callerTP00), ts("foo=1,foo=2")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate duplicated keys across headers", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts("foo=1")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate duplicated keys across headers values differ", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts("foo=2")}, Want: unsampledState("foo=1")}),
		[]PropagationCase{
			{Name: "tracestate duplicated keys sampled", Header: [][2]string{tp(callerTP), ts("a=1,foo=1,b=2,foo=2,c=3")}, Want: withState("a=1,foo=1,b=2,c=3")},
		},
		suite(tcTest+"test_tracestate_all_allowed_characters",
			PropagationCase{Name: "tracestate all allowed characters", Header: [][2]string{tp(callerTP00), ts(allKeyChars + "=" + allValueChars)},
				Want: unsampledState(allKeyChars + "=" + allValueChars)},
			PropagationCase{Name: "tracestate all allowed characters multi-tenant", Header: [][2]string{tp(callerTP00), ts(allKeyChars + "@a-z0-9_-*/=" + allValueChars)},
				Want: unsampledState(allKeyChars + "@a-z0-9_-*/=" + allValueChars)}),
		suite(tcTest+"test_tracestate_ows_handling",
			PropagationCase{Name: "tracestate OWS around members", Header: [][2]string{tp(callerTP00), ts("foo=1 \t , \t bar=2, \t baz=3")}, Want: unsampledState("foo=1,bar=2,baz=3")},
			PropagationCase{Name: "tracestate OWS tabs", Header: [][2]string{tp(callerTP00), ts("foo=1\t \t,\t \tbar=2,\t \tbaz=3")}, Want: unsampledState("foo=1,bar=2,baz=3")},
			PropagationCase{Name: "tracestate OWS leading space", Header: [][2]string{tp(callerTP00), ts(" foo=1")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate OWS leading tab", Header: [][2]string{tp(callerTP00), ts("\tfoo=1")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate OWS trailing space", Header: [][2]string{tp(callerTP00), ts("foo=1 ")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate OWS trailing tab", Header: [][2]string{tp(callerTP00), ts("foo=1\t")}, Want: unsampledState("foo=1")},
			PropagationCase{Name: "tracestate OWS both", Header: [][2]string{tp(callerTP00), ts("\t foo=1 \t")}, Want: unsampledState("foo=1")}),
		[]PropagationCase{
			{Name: "tracestate OWS sampled", Header: [][2]string{tp(callerTP), ts("foo=1 \t , \t bar=2, \t baz=3")}, Want: withState("foo=1,bar=2,baz=3")},
			{Name: "tracestate value keeps inner spaces", Header: [][2]string{tp(callerTP), ts("foo= a b")}, Want: withState("foo= a b")},
		},
		suite(tcTest+"test_tracestate_key_illegal_characters",
			PropagationCase{Name: "tracestate key with space", Header: [][2]string{tp(callerTP00), ts("foo =1")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate key upper case", Header: [][2]string{tp(callerTP00), ts("FOO=1")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate key with dot", Header: [][2]string{tp(callerTP00), ts("foo.bar=1")}, Want: unsampledState("")}),
		suite(tcTest+"test_tracestate_key_illegal_vendor_format",
			PropagationCase{Name: "tracestate key ending with at", Header: [][2]string{tp(callerTP00), ts("foo@=1,bar=2")}, Want: unsampledState("foo@=1,bar=2")},
			PropagationCase{Name: "tracestate key starting with at", Header: [][2]string{tp(callerTP00), ts("@foo=1,bar=2")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate key with double at", Header: [][2]string{tp(callerTP00), ts("foo@@bar=1,bar=2")}, Want: unsampledState("foo@@bar=1,bar=2")},
			PropagationCase{Name: "tracestate key with two ats", Header: [][2]string{tp(callerTP00), ts("foo@bar@baz=1,bar=2")}, Want: unsampledState("foo@bar@baz=1,bar=2")}),
		[]PropagationCase{
			// Level 2 keys that Level 1 (and OpenTelemetry's parser) rejects,
			// on a sampled trace, so that the spans are exported too.
			{Name: "tracestate level 2 keys sampled", Header: [][2]string{tp(callerTP), ts("1foo=1,foo@=2,a@@b=3,a@b@c=4,rojo=5")},
				Want: withState("1foo=1,foo@=2,a@@b=3,a@b@c=4,rojo=5")},
			{Name: "tracestate level 2 key among others dropped when one is malformed", Header: [][2]string{tp(callerTP), ts("foo@=1,Bar=2")}, Want: withState("")},
		},
		// A vendor adding its own member to a full list removes the
		// rightmost one (3.3.1.1, 3.5).
		suite(tcTest+"test_tracestate_member_count_limit",
			PropagationCase{Name: "tracestate 32 members", Header: append([][2]string{tp(callerTP00)}, members(1, 32)...), Want: unsampledState(memberList(1, 32)),
				PerBackend: map[string]Want{"datadog": unsampledState(memberList(1, 31))}},
			PropagationCase{Name: "tracestate 33 members", Header: append([][2]string{tp(callerTP00)}, members(1, 33)...), Want: unsampledState("")}),
		[]PropagationCase{
			{Name: "tracestate 32 members sampled", Header: append([][2]string{tp(callerTP)}, members(1, 32)...), Want: withState(memberList(1, 32)),
				PerBackend: map[string]Want{"datadog": withState(memberList(1, 31))}},
			{Name: "tracestate 33 members sampled", Header: append([][2]string{tp(callerTP)}, members(1, 33)...), Want: withState("")},
		},
		suite(tcTest+"test_tracestate_key_length_limit",
			PropagationCase{Name: "tracestate key of 256", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts(strings.Repeat("z", 256) + "=1")},
				Want: unsampledState("foo=1," + strings.Repeat("z", 256) + "=1")},
			PropagationCase{Name: "tracestate key of 257", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts(strings.Repeat("z", 257) + "=1")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate tenant of 241 vendor of 14", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts(strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1")},
				Want: unsampledState("foo=1," + strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1")},
			PropagationCase{Name: "tracestate tenant of 242", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts(strings.Repeat("t", 242) + "@v=1")},
				Want: unsampledState("foo=1," + strings.Repeat("t", 242) + "@v=1")},
			PropagationCase{Name: "tracestate vendor of 15", Header: [][2]string{tp(callerTP00), ts("foo=1"), ts("t@" + strings.Repeat("v", 15) + "=1")},
				Want: unsampledState("foo=1,t@" + strings.Repeat("v", 15) + "=1")}),
		[]PropagationCase{
			{Name: "tracestate key of 256 sampled", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("z", 256) + "=1")},
				Want: withState("foo=1," + strings.Repeat("z", 256) + "=1")},
			{Name: "tracestate key of 257 with at", Header: [][2]string{tp(callerTP), ts("foo=1"), ts(strings.Repeat("t", 250) + "@" + strings.Repeat("v", 6) + "=1")}, Want: withState("")},
		},
		suite(tcTest+"test_tracestate_value_illegal_characters",
			PropagationCase{Name: "tracestate value with equals", Header: [][2]string{tp(callerTP00), ts("foo=bar=baz")}, Want: unsampledState("")},
			PropagationCase{Name: "tracestate value empty", Header: [][2]string{tp(callerTP00), ts("foo=,bar=3")}, Want: unsampledState("")}),
		[]PropagationCase{
			{Name: "tracestate value of 257", Header: [][2]string{tp(callerTP), ts("foo=" + strings.Repeat("v", 257))}, Want: withState("")},
			{Name: "tracestate value not ASCII", Header: [][2]string{tp(callerTP), ts("foo=café,bar=2")}, Want: withState("")},
			{Name: "tracestate member without equals", Header: [][2]string{tp(callerTP), ts("foo=1,bar")}, Want: withState("")},
			// 3.3.1.5 limits: over MaxTracestateBytes, whole members go,
			// those over 128 characters first (from the end), then from
			// the end. 20 long members of 150 characters and 12 short
			// ones of 101 make 20*151 + 12*102 - 1 = 4243 bytes; removing
			// the last long member (151 bytes) leaves 4092.
			{Name: "tracestate truncated", Header: [][2]string{tp(callerTP), ts(truncationInput())}, Want: withState(truncationOutput())},
			{Name: "tracestate huge", Header: [][2]string{tp(callerTP), ts(strings.Repeat("k=v,", 20000))}, Want: withState("")},
			{Name: "tracestate huge invalid traceparent", Header: [][2]string{tp("00-zz-" + pidHex + "-01"), ts(strings.Repeat("k=v,", 20000))}, Want: restarted()},
			// 3.5: on a new trace the caller's tracestate is not forwarded.
			{Name: "tracestate dropped on restart", Header: [][2]string{tp("ff-" + tidHex + "-" + pidHex + "-01"), ts("foo=1")}, Want: restarted()},
		},
	)

	// Several calls downstream in one request: each has its own parent id
	// in the one trace.
	add(suite(adTest+"test_multiple_requests_with_valid_traceparent",
		PropagationCase{Name: "three calls continue the trace", Header: [][2]string{tp(callerTP)}, Calls: 3, Want: continued()}),
		suite(adTest+"test_multiple_requests_without_traceparent",
			PropagationCase{Name: "three calls in a new trace", Calls: 3, Want: restarted()}),
		suite(adTest+"test_multiple_requests_with_illegal_traceparent",
			PropagationCase{Name: "three calls after an illegal traceparent", Header: [][2]string{tpv("00", strings.Repeat("0", 32), pidHex, "01")},
				Calls: 3, Want: restarted()}),
	)
	return cases
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
