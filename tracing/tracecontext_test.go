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

func TestNormalizeTracestate(t *testing.T) {
	long := "k=" + strings.Repeat("v", 200)
	var many []string
	for i := range 40 {
		many = append(many, "k"+itoa(i)+"=v")
	}
	cases := []struct{ in, want string }{
		{"a=1,b=2", "a=1,b=2"},
		{" a=1 ,\tb=2 ", "a=1,b=2"},
		{"", ""},
		{",,,", ""},
		{"tenant@vendor=x", "tenant@vendor=x"},
		{"1tenant@vendor=x", "1tenant@vendor=x"},
		{"a=1,a=2", ""}, // duplicate key
		{"A=1", ""},     // upper case key
		{"a=", ""},      // empty value
		{"a=x,y", ""},   // malformed member
		{"a=b=c", ""},   // '=' in value
		{"a=b ", "a=b"}, // trailing OWS trimmed
		{"a=\x01", ""},  // control character
		{"t@" + strings.Repeat("s", 15) + "=x", ""}, // system too long
		{strings.Join(many, ","), strings.Join(many[:32], ",")},
		{long + "," + strings.Join(many[:32], ","), strings.Join(many[:32], ",")}, // long member removed first
	}
	for _, c := range cases {
		if got := NormalizeTracestate(c.in); got != c.want {
			t.Errorf("NormalizeTracestate(%.60q) = %.60q, want %.60q", c.in, got, c.want)
		}
	}
}
