package tracing

import "testing"

func TestTraceIDParsing(t *testing.T) {
	id, err := TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	if err != nil {
		t.Fatal(err)
	}
	if id.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || id.High64() != 0x4bf92f3577b34da6 || id.Low64() != 0xa3ce929d0e0e4736 {
		t.Errorf("parsed %s hi=%x lo=%x", id, id.High64(), id.Low64())
	}
	if id.LowDecimal() != "11803532876627986230" {
		t.Errorf("LowDecimal = %s", id.LowDecimal())
	}
	id64, err := TraceIDFromHex("A3CE929D0E0E4736")
	if err != nil || id64.High64() != 0 || id64.Low64() != 0xa3ce929d0e0e4736 {
		t.Errorf("64-bit id: %s %v", id64, err)
	}
	for _, bad := range []string{"", "0", "00000000000000000000000000000000", "4bf92f3577b34da6a3ce929d0e0e473", "4bf92f3577b34da6a3ce929d0e0e4736a", "zbf92f3577b34da6a3ce929d0e0e4736", "0000000000000000"} {
		if _, err := TraceIDFromHex(bad); err == nil {
			t.Errorf("TraceIDFromHex(%q) accepted", bad)
		}
	}
	sid, err := SpanIDFromHex("00f067aa0ba902b7")
	if err != nil || sid.Uint64() != 0xf067aa0ba902b7 || sid.Decimal() != "67667974448284343" {
		t.Errorf("span id %s %v %s", sid, err, sid.Decimal())
	}
	for _, bad := range []string{"", "0000000000000000", "00f067aa0ba902b", "00f067aa0ba902bg"} {
		if _, err := SpanIDFromHex(bad); err == nil {
			t.Errorf("SpanIDFromHex(%q) accepted", bad)
		}
	}
}

func TestSpanContext(t *testing.T) {
	sc := NewSpanContext(SpanContextConfig{
		TraceID: TraceIDFromUint64s(1, 2), SpanID: SpanIDFromUint64(3), TraceFlags: FlagsSampled, TraceState: "a=b",
	})
	if !sc.IsValid() || !sc.IsSampled() || sc.IsRemote() || sc.TraceState() != "a=b" {
		t.Errorf("unexpected %v", sc)
	}
	if got := sc.Traceparent(); got != "00-00000000000000010000000000000002-0000000000000003-01" {
		t.Errorf("Traceparent %q", got)
	}
	if NewSpanContext(SpanContextConfig{TraceID: TraceIDFromUint64s(0, 1)}).IsValid() {
		t.Error("a context without span id is valid")
	}
	if (SpanContext{}).Traceparent() != "" {
		t.Error("invalid context has a traceparent")
	}
	if !sc.WithRemote(true).IsRemote() || sc.WithTraceFlags(0).IsSampled() {
		t.Error("With* do not apply")
	}
}
