package otelbackend_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// FuzzDatadogExtract: the x-datadog-* extractor never panics, and what it
// accepts is a valid remote context that reads back the same from the
// headers Datadog's libraries would write for it.
func FuzzDatadogExtract(f *testing.F) {
	f.Add("1311768467294899695", "81985529216486895", "1", "_dd.p.dm=-1,_dd.p.tid=640cfd8d00000000")
	f.Add("-5", "7", "-1", "_dd.p.tid=xyz")
	f.Add("0", "0", "high", "garbage,,==")
	f.Add("18446744073709551616", "+1", "", strings.Repeat("_dd.p.k=v,", 60))
	f.Fuzz(func(t *testing.T, tid, pid, prio, tags string) {
		c := propagation.MapCarrier{"x-datadog-trace-id": tid, "x-datadog-parent-id": pid, "x-datadog-tags": tags}
		if prio != "" {
			c["x-datadog-sampling-priority"] = prio
		}
		sc := trace.SpanContextFromContext(otelbackend.Datadog{}.Extract(context.Background(), c))
		if !sc.IsValid() {
			return
		}
		if !sc.IsRemote() {
			t.Fatalf("extracted a context not marked remote: %v", sc)
		}
		tr, sp := tracing.TraceID(sc.TraceID()), tracing.SpanID(sc.SpanID())
		again := propagation.MapCarrier{
			"x-datadog-trace-id":  strconv.FormatUint(tr.Low64(), 10),
			"x-datadog-parent-id": strconv.FormatUint(sp.Uint64(), 10),
		}
		if tr.High64() != 0 {
			again["x-datadog-tags"] = "_dd.p.tid=" + tr.String()[:16]
		}
		if sc.IsSampled() {
			again["x-datadog-sampling-priority"] = "1"
		}
		sc2 := trace.SpanContextFromContext(otelbackend.Datadog{}.Extract(context.Background(), again))
		if sc2.TraceID() != sc.TraceID() || sc2.SpanID() != sc.SpanID() || sc2.IsSampled() != sc.IsSampled() {
			t.Fatalf("%v does not read back from its own headers %v: %v", sc, again, sc2)
		}
	})
}

// FuzzExtract feeds hostile headers of every format the backend reads to
// its Extract, starts a child span and injects it: no panic, and what
// goes on is well-formed (one version 00 traceparent, a valid tracestate,
// baggage within the W3C limits that reads back as itself); a context
// that was extracted is continued.
func FuzzExtract(f *testing.F) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	f.Add(tp, "", "a=1,b=2", "k=v;p=1", "", "", "")
	f.Add(tp, tp, " , a=1", "k=%zz", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", "1", "2")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-x", "", "A=1", strings.Repeat("k=v,", 3000), "ABC%3Adef%3A0%3A1", "-5", "0")
	f.Add("", "", "", "", "", "12ab", "")
	tracingtest.IsolateEnv(f, nil)
	b, err := otelbackend.New(otelbackend.WithExporter(tracetest.NewNoopExporter()), otelbackend.WithoutGlobal())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tracingtest.Shutdown(f, b) })
	tr := tracing.New(b)
	f.Fuzz(func(t *testing.T, tp1, tp2, ts, bag, uber, ddTrace, ddParent string) {
		h := tracingtest.Headers(map[string]string{"Traceparent": tp1, "Tracestate": ts, "Baggage": bag, "Uber-Trace-Id": uber,
			"X-Datadog-Trace-Id": ddTrace, "X-Datadog-Parent-Id": ddParent})
		if tp2 != "" {
			h["Traceparent"] = append(h["Traceparent"], tp2)
			h["Tracestate"] = append(h["Tracestate"], ts)
		}
		tracingtest.ContinueTrace(t, tr, h, checkInjected)
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
	if bags := out.Values("Baggage"); len(bags) > 1 {
		t.Fatalf("injected %d baggage headers", len(bags))
	} else if len(bags) == 1 {
		b := tracing.ParseBaggage(bags[0])
		if len(bags[0]) > tracing.MaxBaggageBytes || b.Len() > tracing.MaxBaggageMembers || b.Len() == 0 {
			t.Fatalf("injected baggage of %d bytes, %d members: %.80q", len(bags[0]), b.Len(), bags[0])
		}
		// OpenTelemetry writes members in its own order; the set must
		// read back unchanged.
		again := tracing.ParseBaggage(tracing.FormatBaggage(b))
		for _, m := range b.Members() {
			if v, ok := again.Get(m.Key); !ok || v != m.Value {
				t.Fatalf("injected baggage member %q does not read back", m.Key)
			}
		}
	}
	return sc
}

// TestExtractHugeHeadersBounded: headers of any size and number cost the
// backend's Extract a bounded number of allocations.
func TestExtractHugeHeadersBounded(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, err := otelbackend.New(otelbackend.WithExporter(tracetest.NewNoopExporter()), otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	small := http.Header{"Traceparent": {tp}, "Tracestate": {"a=1"}, "Baggage": {"k=v"}, "Uber-Trace-Id": {"ABC:1:0:1"}}
	tracingtest.ExtractAllocsBounded(t, b, small, map[string]http.Header{
		"huge values": {"Traceparent": {tp + strings.Repeat("-x", 1<<20)}, "Tracestate": {strings.Repeat("a=1,", 1<<18)},
			"Baggage": {strings.Repeat("k=v,", 1<<18)}, "Uber-Trace-Id": {strings.Repeat("%41", 1<<18)},
			"X-Datadog-Trace-Id": {strings.Repeat("9", 1<<20)}, "X-Datadog-Tags": {strings.Repeat("_dd.p.tid=1,", 1<<16)}},
		"many headers": {"Traceparent": {tp}, "Tracestate": tracingtest.Repeated("a=1", 1<<16), "Baggage": tracingtest.Repeated("k=v", 1<<16)},
	}, 40)
}
