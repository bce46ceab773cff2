package httpkittest

import (
	"slices"
	"testing"
)

// suiteRequests is how many requests each test of the public W3C test
// suite (test/test.py) sends: W3CCases must reproduce every one.
var suiteRequests = map[string]int{
	"TraceContextTest.test_both_traceparent_and_tracestate_missing":    1,
	"TraceContextTest.test_traceparent_included_tracestate_missing":    1,
	"TraceContextTest.test_traceparent_duplicated":                     1,
	"TraceContextTest.test_traceparent_header_name":                    2,
	"TraceContextTest.test_traceparent_header_name_valid_casing":       3,
	"TraceContextTest.test_traceparent_version_0x00":                   2,
	"TraceContextTest.test_traceparent_version_0xcc":                   3,
	"TraceContextTest.test_traceparent_version_0xff":                   1,
	"TraceContextTest.test_traceparent_version_illegal_characters":     2,
	"TraceContextTest.test_traceparent_version_too_long":               2,
	"TraceContextTest.test_traceparent_version_too_short":              1,
	"TraceContextTest.test_traceparent_trace_id_all_zero":              1,
	"TraceContextTest.test_traceparent_trace_id_illegal_characters":    2,
	"TraceContextTest.test_traceparent_trace_id_too_long":              1,
	"TraceContextTest.test_traceparent_trace_id_too_short":             1,
	"TraceContextTest.test_traceparent_parent_id_all_zero":             1,
	"TraceContextTest.test_traceparent_parent_id_illegal_characters":   2,
	"TraceContextTest.test_traceparent_parent_id_too_long":             1,
	"TraceContextTest.test_traceparent_parent_id_too_short":            1,
	"TraceContextTest.test_traceparent_trace_flags_illegal_characters": 2,
	"TraceContextTest.test_traceparent_trace_flags_too_long":           1,
	"TraceContextTest.test_traceparent_trace_flags_too_short":          1,
	"TraceContextTest.test_traceparent_ows_handling":                   5,
	"TraceContextTest.test_tracestate_included_traceparent_missing":    2,
	"TraceContextTest.test_tracestate_included_traceparent_included":   1,
	"TraceContextTest.test_tracestate_header_name":                     2,
	"TraceContextTest.test_tracestate_header_name_valid_casing":        3,
	"TraceContextTest.test_tracestate_empty_header":                    3,
	"TraceContextTest.test_tracestate_multiple_headers_different_keys": 1,
	"TraceContextTest.test_tracestate_duplicated_keys":                 4,
	"TraceContextTest.test_tracestate_all_allowed_characters":          2,
	"TraceContextTest.test_tracestate_ows_handling":                    7,
	"TraceContextTest.test_tracestate_key_illegal_characters":          3,
	"TraceContextTest.test_tracestate_key_illegal_vendor_format":       4,
	"TraceContextTest.test_tracestate_member_count_limit":              2,
	"TraceContextTest.test_tracestate_key_length_limit":                5,
	"TraceContextTest.test_tracestate_value_illegal_characters":        2,
	"AdvancedTest.test_multiple_requests_with_valid_traceparent":       1,
	"AdvancedTest.test_multiple_requests_without_traceparent":          1,
	"AdvancedTest.test_multiple_requests_with_illegal_traceparent":     1,
	"TraceContext2Test.test_propagates_random_flag":                    1,
}

// TestW3CSuiteCovered: W3CCases reproduces every request of the 41 tests
// of the public W3C Trace Context suite (SPEC_LEVEL=2, STRICT_LEVEL=2),
// and names no test the suite does not have.
func TestW3CSuiteCovered(t *testing.T) {
	if len(W3CSuiteTests) != 41 || len(suiteRequests) != 41 {
		t.Fatalf("%d suite tests listed, %d counted: want 41", len(W3CSuiteTests), len(suiteRequests))
	}
	got := map[string]int{}
	names := map[string]bool{}
	for _, c := range W3CCases() {
		if names[c.Name] {
			t.Errorf("two cases named %q", c.Name)
		}
		names[c.Name] = true
		if c.Suite == "" {
			continue
		}
		if !slices.Contains(W3CSuiteTests, c.Suite) {
			t.Errorf("case %q names %q, not a test of the suite", c.Name, c.Suite)
		}
		got[c.Suite]++
	}
	for _, name := range W3CSuiteTests {
		if got[name] != suiteRequests[name] {
			t.Errorf("%s: %d cases, want one for each of its %d requests", name, got[name], suiteRequests[name])
		}
	}
}
