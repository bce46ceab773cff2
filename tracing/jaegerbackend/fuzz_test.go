package jaegerbackend_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// FuzzExtract feeds hostile uber-trace-id, uberctx-*, jaeger-baggage and
// W3C headers to the backend's Extract (jaeger-client-go's codec behind
// the backend's bounds), starts a child span and injects it: no panic,
// and what goes on is well-formed: one version 00 traceparent, a valid
// tracestate, baggage within the W3C limits that reads back as itself,
// one uber-trace-id naming the same trace and span, one uberctx- header
// per baggage member. A context that was extracted is continued.
func FuzzExtract(f *testing.F) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	f.Add("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", "alice", "k1=v1, k2=v2", tp, "a=1", "k=v")
	f.Add("ABC%3Adef%3A0%3A3", "%zz", "=,=", "", "", strings.Repeat("k=v,", 3000))
	f.Add("0:0:0:0", "", "", tp, " , b=2", "")
	f.Add("xyz:1:0:1:9", strings.Repeat("v", 9000), strings.Repeat("k=v,", 100), "garbage", "A=1", "k=%zz")
	tracingtest.IsolateEnv(f, nil)
	b, err := jaegerbackend.New(jaegerbackend.WithServiceName("fuzz"), jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithReporter(jaeger.NewNullReporter()))
	if err != nil {
		f.Fatal(err)
	}
	tr := tracing.New(b)
	f.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	f.Fuzz(func(t *testing.T, uber, uberctx, jbag, tp1, ts, bag string) {
		tracingtest.ContinueTrace(t, tr, tracingtest.Headers(map[string]string{"Uber-Trace-Id": uber, "Uberctx-User": uberctx,
			"Jaeger-Baggage": jbag, "Traceparent": tp1, "Tracestate": ts, "Baggage": bag}), checkInjected)
	})
}

// checkInjected checks what Inject wrote and returns the traceparent's
// context.
func checkInjected(t *testing.T, out http.Header) tracing.SpanContext {
	t.Helper()
	sc := tracingtest.InjectedTraceparent(t, out)
	if ts := out.Values("Tracestate"); len(ts) > 1 || len(ts) == 1 && tracing.NormalizeTracestate(ts[0]) != ts[0] {
		t.Fatalf("injected tracestate %q is not one canonical list", ts)
	}
	b := tracing.Baggage{}
	if bags := out.Values("Baggage"); len(bags) > 1 {
		t.Fatalf("injected %d baggage headers", len(bags))
	} else if len(bags) == 1 {
		b = tracing.ParseBaggage(bags[0])
		if len(bags[0]) > tracing.MaxBaggageBytes || b.Len() > tracing.MaxBaggageMembers || tracing.FormatBaggage(b) != bags[0] {
			t.Fatalf("injected baggage that does not read back as itself within the limits: %.80q", bags[0])
		}
	}
	u := out.Values("Uber-Trace-Id")
	if len(u) != 1 {
		t.Fatalf("injected %d uber-trace-id headers", len(u))
	}
	parts := strings.Split(u[0], ":")
	if len(parts) != 4 || strings.ToLower(u[0]) != u[0] {
		t.Fatalf("injected uber-trace-id %q is malformed", u[0])
	}
	tid, err1 := tracing.TraceIDFromHex(strings.Repeat("0", 32-len(parts[0])) + parts[0])
	sid, err2 := strconv.ParseUint(parts[1], 16, 64)
	if err1 != nil || err2 != nil || tid != sc.TraceID() || tracing.SpanIDFromUint64(sid) != sc.SpanID() {
		t.Fatalf("uber-trace-id %q and traceparent %q disagree", u[0], out.Get("Traceparent"))
	}
	n := 0
	for k := range out {
		if strings.HasPrefix(strings.ToLower(k), "uberctx-") {
			n++
		}
	}
	if n > tracing.MaxBaggageMembers {
		t.Fatalf("injected %d uberctx- headers", n)
	}
	return sc
}

// TestExtractHugeHeadersBounded: headers of any size and number cost the
// backend's Extract a bounded number of allocations.
func TestExtractHugeHeadersBounded(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, err := jaegerbackend.New(jaegerbackend.WithServiceName("bounded"), jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithReporter(jaeger.NewNullReporter()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	small := http.Header{"Uber-Trace-Id": {"abc:def:0:1"}, "Uberctx-User": {"alice"}, "Baggage": {"k=v"}}
	huge := http.Header{"Uber-Trace-Id": {strings.Repeat("a", 1<<20) + ":def:0:1"}, "Jaeger-Baggage": {strings.Repeat("k=v,", 1<<18)},
		"Baggage": {strings.Repeat("k=v,", 1<<18)}, "Uberctx-Big": {strings.Repeat("%41", 1<<18)}}
	many := http.Header{"Uber-Trace-Id": {"abc:def:0:1"}}
	for i := range 1 << 13 {
		many["Uberctx-K"+strconv.Itoa(i)] = []string{"v"}
	}
	tracingtest.ExtractAllocsBounded(t, b, small, map[string]http.Header{"huge values": huge, "many headers": many}, 400)
}
