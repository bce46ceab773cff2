package otelbackend_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// discard is an exporter that drops everything, so that benchmarks measure
// the request path.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkStartEnd compares a span start with three attributes and its
// end through the facade (api=facade) with the same through the OpenTelemetry
// SDK used directly (api=otel), with the same sampler, batch processor and
// discarding exporter. Compare with: benchstat -col /api.
func BenchmarkStartEnd(b *testing.B) {
	cases := []struct {
		name    string
		sampler sdktrace.Sampler
		nested  bool
		noAttrs bool
	}{
		{"sampled", sdktrace.ParentBased(sdktrace.AlwaysSample()), false, false},
		{"unsampled", sdktrace.ParentBased(sdktrace.NeverSample()), false, false},
		{"nested-sampled", sdktrace.ParentBased(sdktrace.AlwaysSample()), true, false},
		{"nested-unsampled", sdktrace.ParentBased(sdktrace.NeverSample()), true, false},
		// Without attributes: what the span itself costs.
		{"sampled-noattrs", sdktrace.ParentBased(sdktrace.AlwaysSample()), false, true},
		{"unsampled-noattrs", sdktrace.ParentBased(sdktrace.NeverSample()), false, true},
	}
	for _, c := range cases {
		b.Run("case="+c.name+"/api=otel", func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(c.sampler))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tracer := tp.Tracer(otelbackend.ScopeName)
			ctx := context.Background()
			if c.nested {
				var parent trace.Span
				ctx, parent = tracer.Start(ctx, "parent")
				defer parent.End()
			}
			b.ReportAllocs()
			defer tracingtest.ReportCPU(b)()
			if c.noAttrs {
				for b.Loop() {
					_, sp := tracer.Start(ctx, "op")
					sp.End()
				}
				return
			}
			for b.Loop() {
				_, sp := tracer.Start(ctx, "op", trace.WithAttributes(
					attribute.String("http.route", "/notes/{id}"), attribute.Int("items", 42), attribute.Bool("cache.hit", true)))
				sp.End()
			}
		})
		b.Run("case="+c.name+"/api=facade", func(b *testing.B) {
			tracingtest.IsolateEnv(b, nil)
			be, err := otelbackend.New(otelbackend.WithExporter(discard{}), otelbackend.WithSampler(c.sampler), otelbackend.WithoutGlobal())
			if err != nil {
				b.Fatal(err)
			}
			tr := tracing.New(be)
			defer func() { _ = tr.Shutdown(context.Background()) }()
			ctx := context.Background()
			if c.nested {
				var parent tracing.Span
				ctx, parent = tr.Start(ctx, "parent")
				defer parent.End()
			}
			b.ReportAllocs()
			defer tracingtest.ReportCPU(b)()
			if c.noAttrs {
				for b.Loop() {
					_, sp := tr.Start(ctx, "op")
					sp.End()
				}
				return
			}
			for b.Loop() {
				_, sp := tr.Start(ctx, "op", tracing.WithAttrs(
					tracing.String("http.route", "/notes/{id}"), tracing.Int("items", 42), tracing.Bool("cache.hit", true)))
				sp.End()
			}
		})
	}
}

// BenchmarkContextLookup measures finding the current span in a context a
// facade span started, through each API.
func BenchmarkContextLookup(b *testing.B) {
	tracingtest.IsolateEnv(b, nil)
	be, err := otelbackend.New(otelbackend.WithExporter(discard{}), otelbackend.WithoutGlobal())
	if err != nil {
		b.Fatal(err)
	}
	tr := tracing.New(be)
	defer func() { _ = tr.Shutdown(context.Background()) }()
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	b.Run("api=facade", func(b *testing.B) {
		for b.Loop() {
			if !tracing.SpanFromContext(ctx).IsRecording() {
				b.Fatal("not recording")
			}
		}
	})
	b.Run("api=otel", func(b *testing.B) {
		for b.Loop() {
			if !trace.SpanFromContext(ctx).IsRecording() {
				b.Fatal("not recording")
			}
		}
	})
}
