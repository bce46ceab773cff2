package tracing

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func FuzzParseTraceparent(f *testing.F) {
	for _, s := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"", "-", "00--", strings.Repeat("-", 60),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, ok := ParseTraceparent(s)
		if !ok {
			return
		}
		if !sc.IsValid() || !sc.IsRemote() {
			t.Fatalf("accepted %q as invalid context %v", s, sc)
		}
		// What we accept, we write back as version 00, and read again.
		again, ok := ParseTraceparent(sc.Traceparent())
		if !ok || again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.TraceFlags() != sc.TraceFlags()&(FlagsSampled|FlagsRandom) {
			t.Fatalf("%q → %q does not round-trip", s, sc.Traceparent())
		}
	})
}

func FuzzNormalizeTracestate(f *testing.F) {
	for _, s := range []string{"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "a@b=c", "a=1,a=2", " , ,", "k=" + strings.Repeat("v", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeTracestate(s)
		if NormalizeTracestate(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, NormalizeTracestate(n))
		}
		if strings.Count(n, ",") >= MaxTraceStateMembers {
			t.Fatalf("%d members kept", strings.Count(n, ",")+1)
		}
		if len(n) > MaxTracestateBytes {
			t.Fatalf("%d bytes kept", len(n))
		}
		if strings.ContainsAny(n, " \t") && strings.Contains(n, ", ") {
			t.Fatalf("white space around members kept: %q", n)
		}
		// Every member kept was in the input, in the same order.
		rest := s
		for m := range strings.SplitSeq(n, ",") {
			i := strings.Index(rest, m)
			if m == "" || i < 0 {
				if n != "" {
					t.Fatalf("member %q of %q is not in the input %q in order", m, n, s)
				}
				continue
			}
			rest = rest[i+len(m):]
		}
	})
}

// FuzzParseTraceState: ParseTraceState never panics; what it accepts is
// within the limits, made of valid members with distinct keys, each taken
// from the input in order, and String reads back to the same list
// (parse, String, parse is stable); NormalizeTracestate agrees with it;
// and Insert and Delete on it keep every limit.
func FuzzParseTraceState(f *testing.F) {
	for _, s := range []string{
		"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "foo=1,foo=2", "foo@=1,bar=2", "@foo=1", "foo@@bar=1,1a=x",
		" , \t,", "k= a b", "k=" + strings.Repeat("v", 300), strings.Repeat("z", 257) + "=1",
		strings.Repeat("a=1,", 33), strings.Repeat("k"+strings.Repeat("x", 200)+"=v,", 30),
	} {
		f.Add(s, "dd", "s:1")
	}
	f.Fuzz(func(t *testing.T, s, key, value string) {
		ts, err := ParseTraceState(s)
		str := ts.String()
		if err != nil && (ts.Len() != 0 || str != "") {
			t.Fatalf("%q: error %v with %d members kept", s, err, ts.Len())
		}
		if n := NormalizeTracestate(s); n != str {
			t.Fatalf("%q: NormalizeTracestate %q, ParseTraceState %q", s, n, str)
		}
		checkTraceState(t, ts)
		again, err := ParseTraceState(str)
		if err != nil || again.String() != str || again.Len() != ts.Len() {
			t.Fatalf("%q → %q → %q (%v): not stable", s, str, again.String(), err)
		}
		rest := s // every member kept was in the input, in order
		for _, m := range ts.Members() {
			i := strings.Index(rest, m.Key+"="+m.Value)
			if i < 0 {
				t.Fatalf("member %q of %q is not in the input %q in order", m.Key+"="+m.Value, str, s)
			}
			rest = rest[i+m.size():]
		}
		ins, err := ts.Insert(key, value)
		if err != nil {
			if validTraceStateKey(key) && validTraceStateValue(value) {
				t.Fatalf("Insert(%q, %q): %v", key, value, err)
			}
			return
		}
		checkTraceState(t, ins)
		if m := ins.Members(); m[0].Key != key || m[0].Value != value {
			t.Fatalf("Insert(%q, %q) did not put the member first: %q", key, value, ins.String())
		}
		if _, ok := ins.Delete(key).Get(key); ok || ins.Delete(key).Len() != ins.Len()-1 {
			t.Fatalf("Delete(%q) of %q", key, ins.String())
		}
	})
}

// checkTraceState fails t unless ts is within the limits, its members
// valid with distinct keys, and its canonical form reads back the same.
func checkTraceState(t *testing.T, ts TraceState) {
	t.Helper()
	str := ts.String()
	if ts.Len() > MaxTraceStateMembers || len(str) > MaxTracestateBytes {
		t.Fatalf("%d members, %d bytes: over the limits", ts.Len(), len(str))
	}
	seen := map[string]bool{}
	for _, m := range ts.Members() {
		if !validTraceStateKey(m.Key) || !validTraceStateValue(m.Value) || seen[m.Key] {
			t.Fatalf("member %q=%q is malformed or repeated in %q", m.Key, m.Value, str)
		}
		seen[m.Key] = true
	}
	if NormalizeTracestate(str) != str {
		t.Fatalf("%q is not canonical", str)
	}
}

func FuzzParseBaggage(f *testing.F) {
	for _, s := range []string{"userId=alice,serverNode=DF%2028;prop=1", "=", ";;;", "a=%zz", "k=v," + strings.Repeat("x", 9000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := ParseBaggage(s)
		if b.Len() > MaxBaggageMembers {
			t.Fatalf("%d members", b.Len())
		}
		// Formatting and parsing again never corrupts or invents a
		// member. (It may drop one whose percent-encoded form no longer
		// fits the 8192-byte limit: the limit is on the wire form.)
		f := FormatBaggage(b)
		if len(f) > MaxBaggageBytes {
			t.Fatalf("formatted baggage is %d bytes", len(f))
		}
		for _, m := range ParseBaggage(f).Members() {
			if v, ok := b.Get(m.Key); !ok || v != m.Value {
				t.Fatalf("round trip changed member %.40q: %.40q became %.40q", m.Key, v, m.Value)
			}
		}
	})
}

// FuzzExtract feeds arbitrary header values to the default propagator: it
// must never panic, and what it accepts it must inject back validly.
func FuzzExtract(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=b", "k=v")
	f.Add("garbage", "=,=,", "%%%")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-x", "a=b,a=c", "k=v;p=%zz")
	f.Fuzz(func(t *testing.T, tp, ts, bag string) {
		h := http.Header{}
		h["Traceparent"] = []string{tp}
		h["Tracestate"] = []string{ts, ts}
		h["Baggage"] = []string{bag, bag}
		ctx := DefaultPropagator().Extract(context.Background(), HeaderCarrier(h))
		out := http.Header{}
		DefaultPropagator().Inject(ctx, HeaderCarrier(out))
		if v := out.Get("traceparent"); v != "" {
			if _, ok := ParseTraceparent(v); !ok {
				t.Fatalf("injected an invalid traceparent %q", v)
			}
		}
		if v := out.Get("tracestate"); v != "" && NormalizeTracestate(v) != v {
			t.Fatalf("injected a non-canonical tracestate %q", v)
		}
		if v := out.Get("baggage"); v != "" {
			b := ParseBaggage(v)
			if len(v) > MaxBaggageBytes || b.Len() > MaxBaggageMembers || FormatBaggage(b) != v {
				t.Fatalf("injected baggage that does not read back as itself within the limits: %.80q", v)
			}
		}
	})
}

// TestHugeHeadersBounded: headers of any size and number cost a bounded
// number of allocations (the bytes of header values are the caller's).
func TestHugeHeadersBounded(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	small := http.Header{"Traceparent": {tp}, "Tracestate": {"a=1"}, "Baggage": {"k=v"}}
	many := func(v string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	for name, h := range map[string]http.Header{
		"huge values": {"Traceparent": {tp + strings.Repeat("-x", 1<<20)}, "Tracestate": {strings.Repeat("a=1,", 1<<18)},
			"Baggage": {strings.Repeat("k=v,", 1<<18)}},
		"many headers": {"Traceparent": {tp}, "Tracestate": many("a=1", 1<<16), "Baggage": many("k=v", 1<<16)},
		"many members": {"Traceparent": {tp}, "Tracestate": {strings.Repeat("a=1,", 31) + "b=2"}, "Baggage": many("k1=v,k2=v,k3=v", 1<<14)},
	} {
		count := func(h http.Header) float64 {
			return testing.AllocsPerRun(10, func() {
				ctx := DefaultPropagator().Extract(context.Background(), HeaderCarrier(h))
				DefaultPropagator().Inject(ctx, HeaderCarrier(http.Header{}))
			})
		}
		base, got := count(small), count(h)
		t.Logf("%s: %v allocations (small headers: %v)", name, got, base)
		if got > base+40 {
			t.Errorf("%s: %v allocations, small headers %v: not bounded", name, got, base)
		}
	}
}
