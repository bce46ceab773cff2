package tracing

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

const (
	validTID = "4bf92f3577b34da6a3ce929d0e0e4736"
	validSID = "00f067aa0ba902b7"
)

func TestParseTraceparent(t *testing.T) {
	cases := []struct {
		in    string
		ok    bool
		flags TraceFlags
	}{
		{"00-" + validTID + "-" + validSID + "-01", true, FlagsSampled},
		{"00-" + validTID + "-" + validSID + "-00", true, 0},
		{"00-" + validTID + "-" + validSID + "-03", true, FlagsSampled | FlagsRandom},
		{"00-" + validTID + "-" + validSID + "-ff", true, FlagsSampled | FlagsRandom}, // unknown flags cleared on version 00
		{" 00-" + validTID + "-" + validSID + "-01 ", true, FlagsSampled},             // optional white space
		{"cc-" + validTID + "-" + validSID + "-01", true, FlagsSampled},               // future version
		{"cc-" + validTID + "-" + validSID + "-01-what-the-future-holds", true, FlagsSampled},
		{"cc-" + validTID + "-" + validSID + "-01.what", false, 0},  // future version, extra data not after a dash
		{"00-" + validTID + "-" + validSID + "-01-extra", false, 0}, // extra field on version 00
		{"ff-" + validTID + "-" + validSID + "-01", false, 0},
		{"0-" + validTID + "-" + validSID + "-01", false, 0},
		{"00-" + strings.ToUpper(validTID) + "-" + validSID + "-01", false, 0},
		{"00-" + validTID + "-" + strings.ToUpper("00f067aa0ba902bA") + "-01", false, 0},
		{"00-00000000000000000000000000000000-" + validSID + "-01", false, 0},
		{"00-" + validTID + "-0000000000000000-01", false, 0},
		{"00-" + validTID[:31] + "-" + validSID + "-01", false, 0},
		{"00-" + validTID + "-" + validSID[:15] + "-01", false, 0},
		{"00-" + validTID + "-" + validSID + "-1", false, 0},
		{"00-" + validTID + "-" + validSID + "-0g", false, 0},
		{"00_" + validTID + "-" + validSID + "-01", false, 0},
		{"", false, 0},
		{strings.Repeat("0", 100000), false, 0},
	}
	for _, c := range cases {
		sc, ok := ParseTraceparent(c.in)
		if ok != c.ok {
			t.Errorf("ParseTraceparent(%.70q) ok=%v, want %v", c.in, ok, c.ok)
			continue
		}
		if ok && (sc.TraceID().String() != validTID || sc.SpanID().String() != validSID || sc.TraceFlags() != c.flags || !sc.IsRemote()) {
			t.Errorf("ParseTraceparent(%q) = %v flags %v", c.in, sc, sc.TraceFlags())
		}
	}
}

func TestTraceContextHeaders(t *testing.T) {
	tp := "00-" + validTID + "-" + validSID + "-01"
	t.Run("duplicate traceparent is invalid", func(t *testing.T) {
		h := http.Header{}
		h.Add("traceparent", tp)
		h.Add("traceparent", "00-"+validTID+"-00f067aa0ba902b8-01")
		if _, ok := ExtractTraceContext(HeaderCarrier(h)); ok {
			t.Error("two traceparent headers accepted")
		}
	})
	t.Run("several tracestate headers are joined", func(t *testing.T) {
		h := http.Header{}
		h.Set("traceparent", tp)
		h.Add("tracestate", "congo=t61rcWkgMzE")
		h.Add("tracestate", "rojo=00f067aa0ba902b7, ,")
		sc, ok := ExtractTraceContext(HeaderCarrier(h))
		if !ok || sc.TraceState() != "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" {
			t.Errorf("tracestate %q", sc.TraceState())
		}
	})
	t.Run("tracestate without valid traceparent is ignored", func(t *testing.T) {
		h := http.Header{}
		h.Set("tracestate", "congo=t61rcWkgMzE")
		if _, ok := ExtractTraceContext(HeaderCarrier(h)); ok {
			t.Error("accepted")
		}
	})
	t.Run("round trip", func(t *testing.T) {
		h := http.Header{}
		h.Set("traceparent", tp)
		h.Set("tracestate", "congo=t61rcWkgMzE")
		ctx := TraceContext{}.Extract(context.Background(), HeaderCarrier(h))
		out := http.Header{}
		TraceContext{}.Inject(ctx, HeaderCarrier(out))
		if out.Get("traceparent") != tp || out.Get("tracestate") != "congo=t61rcWkgMzE" {
			t.Errorf("re-injected %v", out)
		}
	})
	t.Run("future version is sent as 00", func(t *testing.T) {
		h := http.Header{}
		h.Set("traceparent", "cc-"+validTID+"-"+validSID+"-09-extra")
		ctx := TraceContext{}.Extract(context.Background(), HeaderCarrier(h))
		out := http.Header{}
		TraceContext{}.Inject(ctx, HeaderCarrier(out))
		if got := out.Get("traceparent"); got != "00-"+validTID+"-"+validSID+"-01" {
			t.Errorf("re-injected %q", got)
		}
	})
}

// TestTracestateTruncation: a valid list longer than MaxTracestateBytes
// loses whole members, those over 128 characters first (from the end),
// then the others from the end.
func TestTracestateTruncation(t *testing.T) {
	var members []string
	for i := range 32 {
		v := strings.Repeat("v", 100) // 105-106 characters: short
		if i%4 == 1 {
			v = strings.Repeat("w", 250) // long
		}
		members = append(members, "k"+itoa(i)+"="+v)
	}
	in := strings.Join(members, ",")
	got := NormalizeTracestate(in)
	if len(got) > MaxTracestateBytes {
		t.Fatalf("kept %d bytes", len(got))
	}
	kept := strings.Split(got, ",")
	// The list is 4549 bytes: removing the last two long members (253
	// bytes each) makes it fit; the 6 long members before them stay.
	var want []string
	long := 0
	for i, m := range members {
		if i%4 == 1 {
			if long++; long > 6 {
				continue
			}
		}
		want = append(want, m)
	}
	if strings.Join(kept, ",") != strings.Join(want, ",") {
		t.Errorf("kept %d members (%d bytes), want %d", len(kept), len(got), len(want))
	}
	if NormalizeTracestate(got) != got {
		t.Errorf("truncated list not stable")
	}
	// Short members only: removed from the end.
	var short []string
	for i := range 32 {
		short = append(short, "k"+itoa(i)+"="+strings.Repeat("s", 125)) // 128 or 129
	}
	got = NormalizeTracestate(strings.Join(short, ","))
	if len(got) > MaxTracestateBytes || !strings.HasPrefix(got, short[0]+",") || strings.Contains(got, short[31]) {
		t.Errorf("short members: kept %d bytes, ends %q", len(got), got[max(0, len(got)-20):])
	}
}

// TestNormalizeTracestate: NormalizeTracestate is ParseTraceState's
// canonical form ("" when invalid), and returns a canonical input as it
// is. The rules are tested in TestParseTraceState.
func TestNormalizeTracestate(t *testing.T) {
	for _, c := range traceStateCases() {
		if got := NormalizeTracestate(c.in); got != c.want {
			t.Errorf("NormalizeTracestate(%.60q) = %.60q, want %.60q", c.in, got, c.want)
		}
	}
	in := "a=1,b=2"
	if allocs := testing.AllocsPerRun(100, func() { _ = NormalizeTracestate(in) }); allocs != 0 {
		t.Errorf("NormalizeTracestate of a canonical value: %v allocations, want 0", allocs)
	}
}
