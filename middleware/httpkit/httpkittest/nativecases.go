package httpkittest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// The vendors' own formats, sent by callers traced with jaeger-client-go,
// dd-trace-go or B3 libraries, with the same hostility: every request is
// served normally, a malformed context starts a new trace, and what goes
// downstream is well-formed.

// Trace64 is CallerTrace's low 64 bits as a 128-bit id (high bits zero):
// what a 64-bit caller sends.
var Trace64 = tracing.TraceIDFromUint64s(0, CallerTrace.Low64())

func uber(v string) [2]string { return [2]string{"uber-trace-id", v} }

// JaegerCases are uber-trace-id ("{trace}:{span}:{parent}:{flags}", hex
// ids of up to 32 and 16 digits, jaeger-client-go's own parser as the
// reference: any case, URL-encoded or not) and uberctx-* baggage, for the
// backends that read them: jaeger and otel.
func JaegerCases() []PropagationCase {
	on := []string{"jaeger", "otel"}
	bag := func(w Want, b string) Want { w.Baggage = b; return w }
	var manyCtx [][2]string
	for i := range 1000 {
		manyCtx = append(manyCtx, [2]string{fmt.Sprintf("uberctx-k%04d", i), "v"})
	}
	cases := []PropagationCase{
		{Name: "uber-trace-id valid", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1")}, Want: continued()},
		{Name: "uber-trace-id 64-bit", Header: [][2]string{uber(tidHex[16:] + ":" + pidHex + ":0:1")},
			Want: Want{Trace: Trace64, Parent: CallerParent}},
		{Name: "uber-trace-id short ids", Header: [][2]string{uber("abc:def:0:1")},
			Want: Want{Trace: tracing.TraceIDFromUint64s(0, 0xabc), Parent: tracing.SpanIDFromUint64(0xdef)}},
		{Name: "uber-trace-id URL-encoded", Header: [][2]string{uber(tidHex + "%3A" + pidHex + "%3A0%3A1")}, Want: continued()},
		{Name: "uber-trace-id upper case", Header: [][2]string{uber(strings.ToUpper("abcdef78901234567890123456789012:abcdef7890123456:0:1"))},
			Want: Want{Trace: mustTrace("abcdef78901234567890123456789012"), Parent: mustSpan("abcdef7890123456")}},
		{Name: "uber-trace-id unsampled", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:0")},
			Want: Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: true}},
		{Name: "uber-trace-id debug", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:3")}, Want: continued()},
		{Name: "uber-trace-id zero span id", Header: [][2]string{uber(tidHex + ":0:0:1")}, Want: restarted()},
		{Name: "uber-trace-id zero trace id", Header: [][2]string{uber("0:" + pidHex + ":0:1")}, Want: restarted()},
		{Name: "uber-trace-id non-hex", Header: [][2]string{uber("xyz:" + pidHex + ":0:1")}, Want: restarted()},
		{Name: "uber-trace-id negative", Header: [][2]string{uber("-1:" + pidHex + ":0:1")}, Want: restarted()},
		{Name: "uber-trace-id trace id too long", Header: [][2]string{uber(tidHex + "3:" + pidHex + ":0:1")}, Want: restarted()},
		{Name: "uber-trace-id span id too long", Header: [][2]string{uber(tidHex + ":" + pidHex + "7:0:1")}, Want: restarted()},
		{Name: "uber-trace-id three fields", Header: [][2]string{uber(tidHex + ":" + pidHex + ":1")}, Want: restarted()},
		{Name: "uber-trace-id five fields", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1:1")}, Want: restarted()},
		{Name: "uber-trace-id empty fields", Header: [][2]string{uber(":::")}, Want: restarted()},
		{Name: "uber-trace-id bad flags", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:zz")}, Want: restarted()},
		{Name: "uber-trace-id huge", Header: [][2]string{uber(strings.Repeat("a", 64<<10) + ":" + pidHex + ":0:1")}, Want: restarted()},
		{Name: "uber-trace-id bad, traceparent valid", Header: [][2]string{uber("garbage"), tp(callerTP)}, Want: continued()},
		// Both valid and different: jaeger's own wins on the jaeger
		// backend, W3C on the otel backend (each documents it).
		{Name: "uber-trace-id and traceparent disagree", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1"),
			tp("00-" + OtherTrace.String() + "-" + pidHex + "-01")},
			Want:       continued(),
			PerBackend: map[string]Want{"otel": {Trace: OtherTrace, Parent: CallerParent}}},
		{Name: "uberctx baggage", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1"), {"uberctx-user", "alice%20smith"}},
			Want:       bag(continued(), "user=alice%20smith"),
			PerBackend: map[string]Want{"otel": continued()}}, // OpenTelemetry's jaeger propagator reads no baggage
		{Name: "jaeger-baggage header", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1"), {"jaeger-baggage", "k1=v1, k2=v2"}},
			Want:       bag(continued(), "k1=v1,k2=v2"),
			PerBackend: map[string]Want{"otel": continued()}},
		{Name: "uberctx 1000 headers", Header: append([][2]string{uber(tidHex + ":" + pidHex + ":0:1")}, manyCtx...),
			Want:       bag(continued(), AnyBaggage),
			PerBackend: map[string]Want{"otel": continued()}},
		{Name: "uberctx huge value", Header: [][2]string{uber(tidHex + ":" + pidHex + ":0:1"), {"uberctx-big", strings.Repeat("x", 600<<10)}},
			Want: continued()},
	}
	for i := range cases {
		cases[i].Backends = on
		cases[i].Want.Check = checkJaegerDown
		for k, w := range cases[i].PerBackend {
			w.Check = checkJaegerDown
			cases[i].PerBackend[k] = w
		}
	}
	return cases
}

// AnyBaggage as Want.Baggage accepts any well-formed baggage within the
// limits (when which members are kept depends on header order).
const AnyBaggage = "\x00any"

// checkJaegerDown checks the uber-trace-id the jaeger backend sends on:
// one header, four fields, lower-case hex ids naming the same trace and
// client span as the traceparent.
func checkJaegerDown(t testing.TB, e *Env, down http.Header, _ tracingtest.SpanData) {
	t.Helper()
	if e.Name != "jaeger" {
		if v := down.Values("Uber-Trace-Id"); len(v) != 0 {
			t.Errorf("%s forwarded uber-trace-id %q, which it does not inject", e.Name, v)
		}
		return
	}
	v := down.Values("Uber-Trace-Id")
	if len(v) != 1 {
		t.Fatalf("downstream has %d uber-trace-id headers, want 1", len(v))
	}
	parts := strings.Split(v[0], ":")
	dp, _ := tracing.ParseTraceparent(down.Get("Traceparent"))
	if len(parts) != 4 || strings.ToLower(v[0]) != v[0] {
		t.Fatalf("downstream uber-trace-id %q is malformed", v[0])
	}
	tid, err1 := tracing.TraceIDFromHex(fmt.Sprintf("%032s", parts[0]))
	sid, err2 := strconv.ParseUint(parts[1], 16, 64)
	if err1 != nil || err2 != nil || tid != dp.TraceID() || tracing.SpanIDFromUint64(sid) != dp.SpanID() {
		t.Errorf("downstream uber-trace-id %q does not name the traceparent's %s", v[0], down.Get("Traceparent"))
	}
	if b := tracing.ParseBaggage(down.Get("Baggage")); b.Len() > 0 {
		n := 0
		for k := range down {
			if strings.HasPrefix(strings.ToLower(k), "uberctx-") {
				n++
			}
		}
		if n != b.Len() {
			t.Errorf("%d uberctx- headers forwarded for %d baggage members", n, b.Len())
		}
	}
}

func ddHeaders(tid, pid, prio, tags string) [][2]string {
	h := [][2]string{{"x-datadog-trace-id", tid}, {"x-datadog-parent-id", pid}}
	if prio != "" {
		h = append(h, [2]string{"x-datadog-sampling-priority", prio})
	}
	if tags != "" {
		h = append(h, [2]string{"x-datadog-tags", tags})
	}
	return h
}

// DatadogCases are the x-datadog-* headers (decimal 64-bit ids, the high
// 64 bits of the trace id as 16 hex digits in _dd.p.tid of
// x-datadog-tags, a sampling priority), for the backends that read them:
// datadog and otel.
func DatadogCases() []PropagationCase {
	lo := strconv.FormatUint(CallerTrace.Low64(), 10)
	hi := fmt.Sprintf("%016x", CallerTrace.High64())
	pid := strconv.FormatUint(CallerParent.Uint64(), 10)
	tags := "_dd.p.dm=-1,_dd.p.tid=" + hi
	unsampled := Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: true}
	w64 := Want{Trace: Trace64, Parent: CallerParent}
	cases := []PropagationCase{
		{Name: "x-datadog valid 128-bit", Header: ddHeaders(lo, pid, "1", tags), Want: continued()},
		{Name: "x-datadog valid 64-bit", Header: ddHeaders(lo, pid, "1", ""), Want: w64},
		{Name: "x-datadog user keep", Header: ddHeaders(lo, pid, "2", tags), Want: continued()},
		{Name: "x-datadog auto reject", Header: ddHeaders(lo, pid, "0", tags), Want: unsampled},
		{Name: "x-datadog user reject", Header: ddHeaders(lo, pid, "-1", tags), Want: unsampled},
		{Name: "x-datadog non-decimal trace id", Header: ddHeaders("12ab", pid, "1", ""), Want: restarted()},
		{Name: "x-datadog hex trace id", Header: ddHeaders("0x10", pid, "1", ""), Want: restarted()},
		// dd-trace-go reads a leading "-" as a signed id (some Datadog
		// libraries send them); the otel backend reads them the same way.
		{Name: "x-datadog negative trace id", Header: ddHeaders("-5", pid, "1", ""),
			Want: Want{Trace: tracing.TraceIDFromUint64s(0, 1<<64-5), Parent: CallerParent}},
		{Name: "x-datadog priority not a number", Header: ddHeaders(lo, pid, "high", tags), Want: restarted(Trace64)},
		{Name: "x-datadog signed trace id", Header: ddHeaders("+"+lo, pid, "1", ""), Want: restarted(Trace64)},
		{Name: "x-datadog overflowing trace id", Header: ddHeaders("18446744073709551616", pid, "1", ""), Want: restarted()},
		{Name: "x-datadog zero trace id", Header: ddHeaders("0", pid, "1", ""), Want: restarted()},
		{Name: "x-datadog zero parent", Header: ddHeaders(lo, "0", "1", tags), Want: restarted(Trace64)},
		{Name: "x-datadog no parent", Header: [][2]string{{"x-datadog-trace-id", lo}, {"x-datadog-sampling-priority", "1"}}, Want: restarted(Trace64)},
		{Name: "x-datadog non-decimal parent", Header: ddHeaders(lo, "abc", "1", tags), Want: restarted(Trace64)},
		{Name: "x-datadog huge trace id", Header: ddHeaders(strings.Repeat("9", 64<<10), pid, "1", ""), Want: restarted()},
		{Name: "x-datadog malformed tid", Header: ddHeaders(lo, pid, "1", "_dd.p.tid=xyz"), Want: w64},
		{Name: "x-datadog short tid", Header: ddHeaders(lo, pid, "1", "_dd.p.tid="+hi[:8]), Want: w64},
		// A header that is not a list of key=value pairs is dropped whole.
		{Name: "x-datadog garbage tags", Header: ddHeaders(lo, pid, "1", "garbage,,==,=,"+"_dd.p.tid="+hi), Want: w64},
		{Name: "x-datadog foreign tags", Header: ddHeaders(lo, pid, "1", "evil=1,_dd.p.tid="+hi), Want: continued()},
		// Datadog caps x-datadog-tags at 512 bytes: a bigger header is
		// not read (the trace id is then the 64 bits of x-datadog-trace-id).
		{Name: "x-datadog oversize tags", Header: ddHeaders(lo, pid, "1", "_dd.p.tid="+hi+",_dd.p.x="+strings.Repeat("y", 600)), Want: w64},
		{Name: "x-datadog huge tags", Header: ddHeaders(lo, pid, "1", strings.Repeat("_dd.p.k=v,", 60000)), Want: w64},
		{Name: "x-datadog bad trace id, traceparent valid", Header: append(ddHeaders("12ab", pid, "1", ""), tp(callerTP)), Want: continued()},
	}
	for i := range cases {
		cases[i].Backends = []string{"datadog", "otel"}
		cases[i].Want.Check = checkDatadogDown
	}
	return cases
}

// checkDatadogDown checks the x-datadog-* headers the datadog backend
// sends on: the traceparent's trace and client span in decimal, and
// x-datadog-tags within 512 bytes with only _dd.p.* tags, the trace id's
// high half among them.
func checkDatadogDown(t testing.TB, e *Env, down http.Header, _ tracingtest.SpanData) {
	t.Helper()
	if e.Name != "datadog" {
		for k := range down {
			if strings.HasPrefix(strings.ToLower(k), "x-datadog-") {
				t.Errorf("%s forwarded %s, which it does not inject", e.Name, k)
			}
		}
		return
	}
	dp, _ := tracing.ParseTraceparent(down.Get("Traceparent"))
	if got := down.Values("X-Datadog-Trace-Id"); len(got) != 1 || got[0] != dp.TraceID().LowDecimal() {
		t.Errorf("downstream x-datadog-trace-id %q, want %s", got, dp.TraceID().LowDecimal())
	}
	if got := down.Values("X-Datadog-Parent-Id"); len(got) != 1 || got[0] != dp.SpanID().Decimal() {
		t.Errorf("downstream x-datadog-parent-id %q, want %s", got, dp.SpanID().Decimal())
	}
	tags := down.Values("X-Datadog-Tags")
	if len(tags) > 1 || len(tags) == 1 && len(tags[0]) > 512 {
		t.Fatalf("downstream x-datadog-tags: %d headers, %d bytes", len(tags), len(strings.Join(tags, "")))
	}
	tid := ""
	if len(tags) == 1 {
		for tag := range strings.SplitSeq(tags[0], ",") {
			k, v, ok := strings.Cut(tag, "=")
			if !ok || !strings.HasPrefix(k, "_dd.p.") || v == "" {
				t.Errorf("downstream x-datadog-tags %q has a tag that is not _dd.p.*=value: %q", tags[0], tag)
			}
			if k == "_dd.p.tid" {
				tid = v
			}
		}
	}
	if hi := dp.TraceID().High64(); hi != 0 && tid != fmt.Sprintf("%016x", hi) {
		t.Errorf("downstream _dd.p.tid %q, want the high half of %s", tid, dp.TraceID())
	}
}

// B3Cases are B3 (https://github.com/openzipkin/b3-propagation): the
// single "b3" header ({trace}-{span}[-{sampling}[-{parent}]], lower-hex
// ids of 16 or 32 and 16 digits, sampling 1, 0 or d) and the X-B3-*
// headers.
func B3Cases() []PropagationCase {
	b3 := func(v string) [2]string { return [2]string{"b3", v} }
	multi := func(tid, sid, sampled string) [][2]string {
		h := [][2]string{{"X-B3-TraceId", tid}, {"X-B3-SpanId", sid}}
		if sampled != "" {
			h = append(h, [2]string{"X-B3-Sampled", sampled})
		}
		return h
	}
	unsampled := Want{Trace: CallerTrace, Parent: CallerParent, Unsampled: true}
	single := []PropagationCase{
		{Name: "b3 valid", Header: [][2]string{b3(tidHex + "-" + pidHex + "-1")}, Want: continued()},
		{Name: "b3 with parent", Header: [][2]string{b3(tidHex + "-" + pidHex + "-1-" + "0000000000000001")}, Want: continued()},
		{Name: "b3 unsampled", Header: [][2]string{b3(tidHex + "-" + pidHex + "-0")}, Want: unsampled},
		{Name: "b3 debug", Header: [][2]string{b3(tidHex + "-" + pidHex + "-d")}, Want: continued()},
		{Name: "b3 64-bit", Header: [][2]string{b3(tidHex[16:] + "-" + pidHex + "-1")}, Want: Want{Trace: Trace64, Parent: CallerParent}},
		{Name: "b3 upper case", Header: [][2]string{b3(strings.ToUpper("abcdef78901234567890123456789012-abcdef7890123456-1"))},
			Want: restarted(mustTrace("abcdef78901234567890123456789012"))},
		{Name: "b3 zero trace id", Header: [][2]string{b3(strings.Repeat("0", 32) + "-" + pidHex + "-1")}, Want: restarted()},
		{Name: "b3 zero span id", Header: [][2]string{b3(tidHex + "-" + strings.Repeat("0", 16) + "-1")}, Want: restarted()},
		{Name: "b3 bad sampling", Header: [][2]string{b3(tidHex + "-" + pidHex + "-x")}, Want: restarted()},
		{Name: "b3 trace id of 20", Header: [][2]string{b3(tidHex[:20] + "-" + pidHex + "-1")}, Want: restarted()},
		{Name: "b3 garbage", Header: [][2]string{b3("garbage")}, Want: restarted()},
		{Name: "b3 huge", Header: [][2]string{b3(tidHex + "-" + pidHex + "-1-" + strings.Repeat("a", 64<<10))}, Want: restarted()},
	}
	for i := range single {
		single[i].Backends = []string{"otel-b3"}
	}
	multiple := []PropagationCase{
		{Name: "b3multi valid", Header: multi(tidHex, pidHex, "1"), Want: continued()},
		{Name: "b3multi unsampled", Header: multi(tidHex, pidHex, "0"), Want: unsampled},
		{Name: "b3multi debug", Header: append(multi(tidHex, pidHex, ""), [2]string{"X-B3-Flags", "1"}), Want: continued()},
		{Name: "b3multi 64-bit", Header: multi(tidHex[16:], pidHex, "1"), Want: Want{Trace: Trace64, Parent: CallerParent}},
		{Name: "b3multi upper case", Header: multi(strings.ToUpper("abcdef78901234567890123456789012"), pidHex, "1"),
			Want: restarted(mustTrace("abcdef78901234567890123456789012"))},
		{Name: "b3multi no span id", Header: [][2]string{{"X-B3-TraceId", tidHex}, {"X-B3-Sampled", "1"}}, Want: restarted()},
		{Name: "b3multi bad sampled", Header: multi(tidHex, pidHex, "yes"), Want: restarted()},
		{Name: "b3multi huge trace id", Header: multi(strings.Repeat("a", 64<<10), pidHex, "1"), Want: restarted()},
	}
	for i := range multiple {
		multiple[i].Backends = []string{"otel-b3multi"}
	}
	return append(single, multiple...)
}
