package otelbackend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
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
	spans := encodeSpans(t, false)
	if got, want := e.encode(spans), sdkRequest(t, spans); !bytes.Equal(got, want) {
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
	got, want := byResource(e.encode(spans)), byResource(sdkRequest(t, spans))
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
