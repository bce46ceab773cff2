package otelbackend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// encodeSpans makes spans of every shape the SDK records: each kind of
// attribute value, events, links, statuses, trace state, remote and local
// parents, dropped attributes, events and links, several scopes (one with
// a version, a schema URL and attributes) and, with twoResources, spans of
// two providers.
func encodeSpans(t *testing.T, twoResources bool) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "notes"), attribute.Int("pid", 42))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeCountLimit: 16, EventCountLimit: 2, LinkCountLimit: 1,
			AttributeValueLengthLimit: -1, AttributePerEventCountLimit: 4, AttributePerLinkCountLimit: 4}))
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("github.com/polytrace/polytrace/tracing")
	other := tp.Tracer("other", trace.WithInstrumentationVersion("1.2.3"), trace.WithSchemaURL("https://example.com/s"),
		trace.WithInstrumentationAttributes(attribute.Bool("x", true)))

	ts, _ := trace.ParseTraceState("vendor=a,other=b")
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	link := trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8},
		TraceFlags: trace.FlagsSampled | 0x02}), Attributes: []attribute.KeyValue{attribute.String("why", "retry")}}
	ctx, root := tr.Start(ctx, "GET /notes/{id}", trace.WithSpanKind(trace.SpanKindServer), trace.WithLinks(link, link),
		trace.WithTimestamp(time.Unix(1700000000, 5)))
	root.SetAttributes(
		attribute.String("s", "v"), attribute.String("empty", ""), attribute.Int64("i", -7), attribute.Int64("zero", 0),
		attribute.Float64("f", 0.25), attribute.Bool("t", true), attribute.Bool("f0", false),
		attribute.StringSlice("ss", []string{"a", "", "c"}), attribute.Int64Slice("is", []int64{1, -1, 1 << 40}),
		attribute.Float64Slice("fs", []float64{1.5, -2}), attribute.BoolSlice("bs", []bool{true, false}),
		attribute.KeyValue{Key: "none"}, attribute.String(string(make([]byte, 200)), "long key"),
	)
	for i := range 10 {
		root.SetAttributes(attribute.Int(fmt.Sprint("n", i), i)) // past the count limit: dropped
	}
	root.AddEvent("rows", trace.WithAttributes(attribute.Int("count", 3)), trace.WithTimestamp(time.Unix(1700000001, 0)))
	root.AddEvent("e2")
	root.AddEvent("e3 dropped")
	root.RecordError(errors.New("boom"))
	root.SetStatus(codes.Error, "internal error")
	_, child := tr.Start(ctx, "SELECT", trace.WithSpanKind(trace.SpanKindClient))
	child.SetStatus(codes.Ok, "ignored")
	child.End()
	_, o := other.Start(ctx, "other", trace.WithSpanKind(trace.SpanKindProducer))
	o.End()
	_, c := tr.Start(context.Background(), "consumer", trace.WithSpanKind(trace.SpanKindConsumer))
	c.End()
	_, in := tr.Start(context.Background(), "")
	in.End()
	root.End(trace.WithTimestamp(time.Unix(1700000002, 0)))
	spans := rec.Ended()
	if twoResources {
		rec2 := tracetest.NewSpanRecorder()
		tp2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec2),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "calendar"))))
		defer tp2.Shutdown(context.Background())
		_, s := tp2.Tracer("github.com/polytrace/polytrace/tracing").Start(context.Background(), "GetDate")
		s.End()
		all := append([]sdktrace.ReadOnlySpan{}, spans[:2]...)
		all = append(all, rec2.Ended()...)
		spans = append(all, spans[2:]...)
	}
	return spans
}

// sdkRequest returns the request body otlptracehttp sends for spans.
func sdkRequest(t *testing.T, spans []sdktrace.ReadOnlySpan) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer srv.Close()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	return <-got
}

// TestEncodingIsTheSDKs checks the encoder against otlptracehttp: for
// one resource the request is the same byte for byte; for two, whose
// order the SDK draws from a map, each resource's spans are.
func TestEncodingIsTheSDKs(t *testing.T) {
	var e otlpEncoder
	encode := func(spans []sdktrace.ReadOnlySpan) []byte {
		return e.encode(spans)
	}
	spans := encodeSpans(t, false)
	if got, want := encode(spans), sdkRequest(t, spans); !bytes.Equal(got, want) {
		t.Errorf("request differs from byte %d of %d (SDK %d)", firstDiff(got, want), len(got), len(want))
	}
	// Slice values are copied out of the attribute (Value.AsStringSlice
	// and its kind): four slices, nothing else.
	if n := testing.AllocsPerRun(10, func() { e.encode(spans) }); n > 4 {
		t.Errorf("encoding a batch again allocates %v times", n)
	}

	spans = encodeSpans(t, true)
	byResource := func(b []byte) []string {
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, rs := range req.ResourceSpans {
			m, err := proto.MarshalOptions{Deterministic: true}.Marshal(rs)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(m))
		}
		sort.Strings(out)
		return out
	}
	got, want := byResource(encode(spans)), byResource(sdkRequest(t, spans))
	if len(got) != 2 || len(want) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("two resources: %d resource spans, the SDK's %d, or they differ", len(got), len(want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestEncodingEdgeCasesAreTheSDKs: empty and nil slices of every kind,
// nil and empty bytes, nested slices and maps with empty values, NaN,
// extreme integers, a 1 MiB string, a resource of 300 attributes, scopes
// with only a schema URL or only attributes, zero times, an event without
// a name, a link with a trace state, an unknown span kind, an error
// status without a description: the request is otlptracehttp's, byte for
// byte.
func TestEncodingEdgeCasesAreTheSDKs(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	var rattrs []attribute.KeyValue
	for i := range 300 {
		rattrs = append(rattrs, attribute.String(fmt.Sprint("r", i), strings.Repeat("v", i)))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(resource.NewSchemaless(rattrs...)),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeCountLimit: -1, EventCountLimit: -1, LinkCountLimit: -1,
			AttributeValueLengthLimit: -1, AttributePerEventCountLimit: -1, AttributePerLinkCountLimit: -1}))
	defer tp.Shutdown(context.Background())
	ts, _ := trace.ParseTraceState("a=b")
	link := trace.Link{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8},
		TraceState: ts, Remote: true})}
	_, s := tp.Tracer("", trace.WithSchemaURL("https://s")).Start(context.Background(), "edge", trace.WithLinks(link),
		trace.WithTimestamp(time.Unix(0, 0)))
	s.SetAttributes(
		attribute.StringSlice("ess", []string{}), attribute.StringSlice("nss", nil), attribute.Int64Slice("eis", []int64{}),
		attribute.Float64Slice("efs", nil), attribute.BoolSlice("ebs", []bool{}),
		attribute.KeyValue{Key: "bnil", Value: attribute.ByteSliceValue(nil)},
		attribute.KeyValue{Key: "bempty", Value: attribute.ByteSliceValue([]byte{})},
		attribute.KeyValue{Key: "b", Value: attribute.ByteSliceValue([]byte{0, 1, 0xff})},
		attribute.KeyValue{Key: "sl", Value: attribute.SliceValue()},
		attribute.KeyValue{Key: "sl2", Value: attribute.SliceValue(attribute.Value{}, attribute.StringValue(""), attribute.MapValue(),
			attribute.SliceValue(attribute.IntValue(-1)), attribute.MapValue(attribute.KeyValue{}, attribute.String("", "x")))},
		attribute.KeyValue{Key: "m", Value: attribute.MapValue()},
		attribute.KeyValue{Key: "m2", Value: attribute.MapValue(attribute.String("k", strings.Repeat("z", 300)),
			attribute.Int64Slice("is", []int64{math.MinInt64}))},
		attribute.Float64("nan", math.NaN()), attribute.Float64("inf", math.Inf(-1)), attribute.Int64("min", math.MinInt64),
		attribute.String("big", strings.Repeat("x", 1<<20)), attribute.KeyValue{},
	)
	s.AddEvent("", trace.WithTimestamp(time.Time{}))
	for i := range 200 {
		s.AddEvent("e", trace.WithAttributes(attribute.Int("i", i)))
	}
	s.SetStatus(codes.Error, "")
	s.End(trace.WithTimestamp(time.Unix(0, 0)))
	_, s2 := tp.Tracer("", trace.WithInstrumentationAttributes(attribute.Int("a", 1))).Start(context.Background(), "s2",
		trace.WithSpanKind(trace.SpanKind(42)))
	s2.End()
	spans := rec.Ended()
	var e otlpEncoder
	got := e.encode(spans)
	if want := sdkRequest(t, spans); !bytes.Equal(got, want) {
		t.Errorf("request differs from byte %d of %d (SDK %d)", firstDiff(got, want), len(got), len(want))
	}
}

// sdkExport exports spans with otlptracehttp and returns its error and
// how many requests it sent.
func sdkExport(t *testing.T, spans []sdktrace.ReadOnlySpan) (int, error) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { n.Add(1) }))
	defer srv.Close()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	err = exp.ExportSpans(context.Background(), spans)
	return int(n.Load()), err
}

// TestInvalidUTF8IsReplaced: wherever a string that is not UTF-8 is, in a
// span, its scope or its resource, otlptracehttp's proto.Marshal fails
// the export and the batch is lost; the encoder sends it with U+FFFD in
// place of the invalid bytes, in a request that protobuf (which checks
// UTF-8, as receivers do) decodes, with both spans in it.
func TestInvalidUTF8IsReplaced(t *testing.T) {
	const bad = "bad\xff"
	type setup struct {
		res    *resource.Resource
		scope  string
		tracer []trace.TracerOption
		name   string
		span   func(trace.Span)
	}
	for _, tc := range []struct {
		what string
		set  func(*setup)
	}{
		{"nothing", func(*setup) {}},
		{"span name", func(s *setup) { s.name = bad }},
		{"attribute key", func(s *setup) { s.span = func(sp trace.Span) { sp.SetAttributes(attribute.Int(bad, 1)) } }},
		{"attribute value", func(s *setup) { s.span = func(sp trace.Span) { sp.SetAttributes(attribute.String("k", bad)) } }},
		{"string slice", func(s *setup) {
			s.span = func(sp trace.Span) { sp.SetAttributes(attribute.StringSlice("k", []string{"a", bad})) }
		}},
		{"map in a slice", func(s *setup) {
			s.span = func(sp trace.Span) {
				sp.SetAttributes(attribute.KeyValue{Key: "k", Value: attribute.SliceValue(attribute.MapValue(attribute.String("m", bad)))})
			}
		}},
		{"event name", func(s *setup) { s.span = func(sp trace.Span) { sp.AddEvent(bad) } }},
		{"event attribute", func(s *setup) {
			s.span = func(sp trace.Span) { sp.AddEvent("e", trace.WithAttributes(attribute.String("k", bad))) }
		}},
		{"link attribute", func(s *setup) {
			s.span = func(sp trace.Span) {
				sp.AddLink(trace.Link{SpanContext: sp.SpanContext(), Attributes: []attribute.KeyValue{attribute.String(bad, "v")}})
			}
		}},
		{"status description", func(s *setup) { s.span = func(sp trace.Span) { sp.SetStatus(codes.Error, bad) } }},
		{"scope name", func(s *setup) { s.scope = bad }},
		{"scope version", func(s *setup) { s.tracer = []trace.TracerOption{trace.WithInstrumentationVersion(bad)} }},
		{"scope attribute", func(s *setup) {
			s.tracer = []trace.TracerOption{trace.WithInstrumentationAttributes(attribute.String("k", bad))}
		}},
		{"scope schema URL", func(s *setup) { s.tracer = []trace.TracerOption{trace.WithSchemaURL(bad)} }},
		{"resource attribute", func(s *setup) { s.res = resource.NewSchemaless(attribute.String("service.name", bad)) }},
		{"resource schema URL", func(s *setup) { s.res = resource.NewWithAttributes(bad, attribute.String("service.name", "x")) }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			st := setup{res: resource.NewSchemaless(attribute.String("service.name", "x")), scope: "scope", name: "op"}
			tc.set(&st)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(st.res))
			defer tp.Shutdown(context.Background())
			_, ok := tp.Tracer("fine").Start(context.Background(), "fine")
			ok.End()
			_, sp := tp.Tracer(st.scope, st.tracer...).Start(context.Background(), st.name)
			if st.span != nil {
				st.span(sp)
			}
			sp.End()
			spans := rec.Ended()

			sent, sdkErr := sdkExport(t, spans)
			var e otlpEncoder
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(e.encode(spans), &req); err != nil {
				t.Fatalf("the request does not decode: %v", err)
			}
			n := 0
			for _, rs := range req.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					n += len(ss.Spans)
				}
			}
			if n != 2 {
				t.Fatalf("%d spans in the request, want 2", n)
			}
			text := prototext.Format(&req)
			if tc.what == "nothing" {
				if sdkErr != nil || sent != 1 || strings.Contains(text, "\uFFFD") {
					t.Fatalf("SDK: %v (%d requests); request: %s", sdkErr, sent, text)
				}
				return
			}
			if sdkErr == nil || sent != 0 {
				t.Fatalf("the SDK's export: %v, %d requests (the SDK refuses invalid UTF-8)", sdkErr, sent)
			}
			if !strings.Contains(text, "bad\uFFFD") {
				t.Fatalf("no %q in the request: %s", "bad\uFFFD", text)
			}
		})
	}
}
