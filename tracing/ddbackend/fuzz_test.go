package ddbackend_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// FuzzExtract feeds hostile x-datadog-* and W3C headers to the backend's
// Extract (dd-trace-go's extractors behind the backend's corrections),
// starts a child span and injects it: no panic, and what goes on is
// well-formed: one version 00 traceparent, a valid tracestate, baggage
// within the W3C limits, x-datadog-* naming the same trace and span in
// decimal, x-datadog-tags within 512 bytes with only _dd.p.* tags. A
// context that was extracted is continued.
func FuzzExtract(f *testing.F) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	f.Add(tp, "", "a=1,dd=s:2;o:rum", "k=v", "1311768467294899695", "81985529216486895", "1", "_dd.p.dm=-1,_dd.p.tid=4bf92f3577b34da6")
	f.Add(tp, tp, " , a=1", "k=%zz", "-5", "7", "-1", "evil=1,_dd.p.tid=xyz")
	f.Add("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "", "dd=t.tid:zz;p:garbage", "", "12ab", "0", "high", "garbage,,==")
	f.Add("", "", "", strings.Repeat("k=v,", 3000), "1", "1", "2", strings.Repeat("_dd.p.k=v,", 60))
	a := ddtest.Start(ddtest.Config{Discard: true})
	f.Cleanup(a.Close)
	tr := tracing.New(newBackend(f, a))
	f.Fuzz(func(t *testing.T, tp1, tp2, ts, bag, ddTrace, ddParent, ddPrio, ddTags string) {
		h := tracingtest.Headers(map[string]string{"Traceparent": tp1, "Tracestate": ts, "Baggage": bag, "X-Datadog-Trace-Id": ddTrace,
			"X-Datadog-Parent-Id": ddParent, "X-Datadog-Sampling-Priority": ddPrio, "X-Datadog-Tags": ddTags})
		if tp2 != "" {
			h["Traceparent"] = append(h["Traceparent"], tp2)
		}
		tracingtest.ContinueTrace(t, tr, h, checkInjected)
	})
}

// checkInjected checks what Inject wrote and returns the traceparent's
// context.
func checkInjected(t *testing.T, out http.Header) tracing.SpanContext {
	t.Helper()
	sc := tracingtest.InjectedTraceparent(t, out)
	if ts := out.Values("Tracestate"); len(ts) > 1 {
		t.Fatalf("injected %d tracestate headers", len(ts))
	} else if len(ts) == 1 {
		members := strings.Split(ts[0], ",")
		seen := map[string]bool{}
		for _, m := range members {
			k, _, _ := strings.Cut(m, "=")
			if tracing.NormalizeTracestate(m) != m || m == "" || seen[k] {
				t.Fatalf("injected tracestate %q has a malformed or repeated member %q", ts[0], m)
			}
			seen[k] = true
		}
		if len(members) > 32 {
			t.Fatalf("injected tracestate has %d members", len(members))
		}
	}
	if bags := out.Values("Baggage"); len(bags) > 1 {
		t.Fatalf("injected %d baggage headers", len(bags))
	} else if len(bags) == 1 {
		b := tracing.ParseBaggage(bags[0])
		if len(bags[0]) > tracing.MaxBaggageBytes || b.Len() > tracing.MaxBaggageMembers || tracing.FormatBaggage(b) != bags[0] {
			t.Fatalf("injected baggage that does not read back as itself within the limits: %.80q", bags[0])
		}
	}
	if got := out.Get("X-Datadog-Trace-Id"); got != sc.TraceID().LowDecimal() {
		t.Fatalf("x-datadog-trace-id %q, traceparent %s", got, out.Get("Traceparent"))
	}
	if got := out.Get("X-Datadog-Parent-Id"); got != sc.SpanID().Decimal() {
		t.Fatalf("x-datadog-parent-id %q, traceparent %s", got, out.Get("Traceparent"))
	}
	if tags := out.Values("X-Datadog-Tags"); len(tags) > 1 || len(tags) == 1 && len(tags[0]) > 512 {
		t.Fatalf("x-datadog-tags %q", tags)
	} else if len(tags) == 1 {
		for tag := range strings.SplitSeq(tags[0], ",") {
			if k, v, ok := strings.Cut(tag, "="); !ok || !strings.HasPrefix(k, "_dd.p.") || v == "" {
				t.Fatalf("x-datadog-tags %q sends on %q", tags[0], tag)
			}
		}
	}
	if p := out.Get("X-Datadog-Sampling-Priority"); p != "" {
		if _, err := strconv.Atoi(p); err != nil {
			t.Fatalf("x-datadog-sampling-priority %q", p)
		}
	}
	return sc
}

// TestExtractHugeHeadersBounded: headers of any size and number cost the
// backend's Extract a bounded number of allocations.
func TestExtractHugeHeadersBounded(t *testing.T) {
	a := newAgent(t, ddtest.Config{Discard: true})
	b := newBackend(t, a)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	small := http.Header{"Traceparent": {tp}, "Tracestate": {"a=1"}, "Baggage": {"k=v"}, "X-Datadog-Trace-Id": {"1"},
		"X-Datadog-Parent-Id": {"2"}, "X-Datadog-Tags": {"_dd.p.dm=-1"}}
	tracingtest.ExtractAllocsBounded(t, b, small, map[string]http.Header{
		"huge values": {"Traceparent": {tp + strings.Repeat("-x", 1<<20)}, "Tracestate": {strings.Repeat("a=1,", 1<<18)},
			"Baggage": {strings.Repeat("k=v,", 1<<18)}, "X-Datadog-Trace-Id": {strings.Repeat("9", 1<<20)},
			"X-Datadog-Tags": {strings.Repeat("_dd.p.tid=1,", 1<<16)}},
		"many headers": {"Traceparent": {tp}, "Tracestate": tracingtest.Repeated("a=1", 1<<16), "Baggage": tracingtest.Repeated("k=v", 1<<16),
			"X-Datadog-Tags": tracingtest.Repeated("_dd.p.dm=-1", 1<<12)},
	}, 60)
}
