package tracing_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// sayingSpan is a backend span that names its own keys and form.
type sayingSpan struct {
	tracing.BackendSpan
	traceKey, spanKey string
	traceID, spanID   string
}

func (s sayingSpan) LogKeys() (string, string)                      { return s.traceKey, s.spanKey }
func (s sayingSpan) FormatIDs(tracing.SpanContext) (string, string) { return s.traceID, s.spanID }

var testSC = tracing.NewSpanContext(tracing.SpanContextConfig{
	TraceID:    tracing.TraceIDFromUint64s(0x0af7651916cd43dd, 0x8448eb211c80319c),
	SpanID:     tracing.SpanIDFromUint64(0xb7ad6b7169203331),
	TraceFlags: tracing.FlagsSampled,
})

func hexIDs(sc tracing.SpanContext) tracing.LogIDs {
	return tracing.LogIDs{TraceKey: "trace_id", TraceID: sc.TraceID().String(), SpanKey: "span_id", SpanID: sc.SpanID().String()}
}

func TestLogCorrelationWithoutSpan(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := tracing.New(tracingtest.DatadogLogIDs(rec))
	type key struct{}
	ctxs := map[string]context.Context{
		"nil":        nil,
		"background": context.Background(),
		"values":     context.WithValue(context.Background(), key{}, 1),
		"zero span":  tracing.ContextWithSpan(context.Background(), tracing.Span{}),
		"invalid":    tracing.ContextWithRemoteSpanContext(context.Background(), tracing.SpanContext{}),
	}
	for name, ctx := range ctxs {
		for _, tr := range []*tracing.Tracer{nil, tr} {
			if ids, ok := tr.LogCorrelation(ctx); ok || ids != (tracing.LogIDs{}) {
				t.Errorf("%s, tracer %v: LogCorrelation = %+v, %v; want none", name, tr, ids, ok)
			}
		}
		if ids, ok := tracing.LogCorrelation(ctx); ok || ids != (tracing.LogIDs{}) {
			t.Errorf("%s: LogCorrelation = %+v, %v; want none", name, ids, ok)
		}
	}
}

func TestLogCorrelationDefaults(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sp := rec.Tracer().Start(context.Background(), "op")
	defer sp.End()
	want := hexIDs(sp.SpanContext())
	if len(want.TraceID) != 32 || len(want.SpanID) != 16 {
		t.Fatalf("bad test span %+v", want)
	}
	// The recorder names no keys and no form; neither does the no-op
	// default tracer nor a nil one.
	for name, got := range map[string]func() (tracing.LogIDs, bool){
		"default":         func() (tracing.LogIDs, bool) { return tracing.LogCorrelation(ctx) },
		"nil tracer":      func() (tracing.LogIDs, bool) { return (*tracing.Tracer)(nil).LogCorrelation(ctx) },
		"recorder tracer": func() (tracing.LogIDs, bool) { return rec.Tracer().LogCorrelation(ctx) },
	} {
		if ids, ok := got(); !ok || ids != want {
			t.Errorf("%s: %+v, %v; want %+v", name, ids, ok, want)
		}
	}
	// A remote parent is the span of a context that was extracted and
	// not continued yet: its ids are the trace's.
	rctx := tracing.ContextWithRemoteSpanContext(context.Background(), testSC)
	if ids, ok := tracing.LogCorrelation(rctx); !ok || ids != hexIDs(testSC) {
		t.Errorf("remote parent: %+v, %v", ids, ok)
	}
	if ids := hexIDs(testSC); ids.TraceID != "0af7651916cd43dd8448eb211c80319c" || ids.SpanID != "b7ad6b7169203331" {
		t.Errorf("hex ids %+v", ids)
	}
}

func TestLogCorrelationAsksTheBackend(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := tracing.New(tracingtest.DatadogLogIDs(rec))
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	sc := sp.SpanContext()
	want := tracing.LogIDs{TraceKey: "dd.trace_id", TraceID: sc.TraceID().LowDecimal(), SpanKey: "dd.span_id", SpanID: sc.SpanID().Decimal()}
	if want.TraceID == hexIDs(sc).TraceID {
		t.Fatalf("decimal and hex ids agree: %+v", want)
	}

	if ids, ok := tr.LogCorrelation(ctx); !ok || ids != want {
		t.Errorf("tracer's backend: %+v, %v; want %+v", ids, ok, want)
	}
	// The package function asks the default tracer.
	if ids, _ := tracing.LogCorrelation(ctx); ids != hexIDs(sc) {
		t.Errorf("no-op default: %+v; want hex", ids)
	}
	tracing.SetDefault(tr)
	defer tracing.SetDefault(nil)
	if ids, ok := tracing.LogCorrelation(ctx); !ok || ids != want {
		t.Errorf("Datadog-style default: %+v, %v; want %+v", ids, ok, want)
	}
	// The tracer's backend speaks for spans it did not start too (here a
	// remote parent), as the span does not say.
	rctx := tracing.ContextWithRemoteSpanContext(context.Background(), testSC)
	if ids, _ := tracing.LogCorrelation(rctx); ids.TraceID != "9532127138774266268" || ids.SpanID != "13235353014750950193" || ids.TraceKey != "dd.trace_id" {
		t.Errorf("remote parent under a Datadog-style default: %+v", ids)
	}
}

func TestLogCorrelationSpanSpeaksFirst(t *testing.T) {
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	span := func(s sayingSpan) context.Context {
		s.BackendSpan = tracing.NonRecordingSpan(testSC)
		return tracing.ContextWithSpan(context.Background(), tracing.NewSpan(s))
	}
	hex := hexIDs(testSC)
	for _, c := range []struct {
		span sayingSpan
		want tracing.LogIDs
	}{
		{sayingSpan{traceKey: "t", spanKey: "s", traceID: "T", spanID: "S"}, tracing.LogIDs{TraceKey: "t", TraceID: "T", SpanKey: "s", SpanID: "S"}},
		// Empty answers mean the defaults, not the tracer's: the span
		// spoke.
		{sayingSpan{}, hex},
		{sayingSpan{spanKey: "s", traceID: "T"}, tracing.LogIDs{TraceKey: "trace_id", TraceID: "T", SpanKey: "s", SpanID: hex.SpanID}},
	} {
		for _, tr := range []*tracing.Tracer{nil, tr} {
			if ids, ok := tr.LogCorrelation(span(c.span)); !ok || ids != c.want {
				t.Errorf("span %+v, tracer %v: %+v, %v; want %+v", c.span, tr, ids, ok, c.want)
			}
		}
	}
}

func TestLogCorrelationAllocations(t *testing.T) {
	rec := tracingtest.NewRecorder()
	dd := tracing.New(tracingtest.DatadogLogIDs(rec))
	tracing.SetDefault(dd)
	defer tracing.SetDefault(nil)
	type key struct{}
	noSpan := context.WithValue(context.Background(), key{}, 1)
	var nilCtx context.Context
	for name, f := range map[string]func(){
		"nil context":        func() { _, _ = tracing.LogCorrelation(nilCtx) },
		"background":         func() { _, _ = tracing.LogCorrelation(context.Background()) },
		"values, no span":    func() { _, _ = tracing.LogCorrelation(noSpan) },
		"explicit tracer":    func() { _, _ = dd.LogCorrelation(noSpan) },
		"nil tracer, values": func() { _, _ = (*tracing.Tracer)(nil).LogCorrelation(noSpan) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations without a span", name, n)
		}
	}

	ctx, sp := rec.Tracer().Start(context.Background(), "op")
	defer sp.End()
	// Hex ids share one string; Datadog-style ids are the backend's two
	// strconv.FormatUint strings.
	tr := rec.Tracer()
	if n := testing.AllocsPerRun(100, func() { _, _ = tr.LogCorrelation(ctx) }); n != 1 {
		t.Errorf("hex ids with a span: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = tracing.LogCorrelation(ctx) }); n != 2 {
		t.Errorf("Datadog-style ids with a span: %v allocations, want 2", n)
	}
}

func ExampleLogCorrelation() {
	// A backend whose users expect Datadog's keys and decimal ids (the
	// Datadog backend does this); a recorder stands in for the rest.
	tracing.SetDefault(tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder())))
	defer tracing.SetDefault(nil)

	ctx := tracing.ContextWithRemoteSpanContext(context.Background(), testSC)
	ids, ok := tracing.LogCorrelation(ctx)
	fmt.Println(ok, ids.TraceKey+"="+ids.TraceID, ids.SpanKey+"="+ids.SpanID)

	_, ok = tracing.LogCorrelation(context.Background())
	fmt.Println(ok)
	// Output:
	// true dd.trace_id=9532127138774266268 dd.span_id=13235353014750950193
	// false
}
