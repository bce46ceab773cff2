package bench

import (
	"context"
	"net/http"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/otel/propagation"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend"
)

var sinkCtx context.Context

// propLoop measures inject into an empty header followed by extract from
// it, as one service's client and the next one's server do.
func propLoop(b *testing.B, inject, extract func(h http.Header)) {
	b.Helper()
	h := http.Header{}
	inject(h)
	if len(h) == 0 {
		b.Fatal("inject wrote no header")
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		clear(h)
		inject(h)
		extract(h)
	}
}

// facadeProp measures tr's Inject and Extract of ctx's span.
func facadeProp(b *testing.B, tr *tracing.Tracer, ctx context.Context) {
	b.Helper()
	propLoop(b, func(h http.Header) { tr.Inject(ctx, tracing.HeaderCarrier(h)) }, func(h http.Header) {
		sinkCtx = tr.Extract(context.Background(), tracing.HeaderCarrier(h))
	})
}

// otelProp measures an OpenTelemetry propagator's Inject and Extract of
// ctx's span.
func otelProp(b *testing.B, p propagation.TextMapPropagator, ctx context.Context) {
	b.Helper()
	propLoop(b, func(h http.Header) { p.Inject(ctx, propagation.HeaderCarrier(h)) }, func(h http.Header) {
		sinkCtx = p.Extract(context.Background(), propagation.HeaderCarrier(h))
	})
}

// BenchmarkPropagation: Inject + Extract of a sampled span's context in
// each format, through the facade (impl=facade) and through the vendor's
// own propagator (impl=vendor). For W3C the facade's built-in propagator
// (what none, console and the recorder use, here forwarding a remote
// parent) and the OpenTelemetry backend's are both shown; b3 goes through
// the OpenTelemetry backend configured with OpenTelemetry's b3
// propagator. dd-trace-go and jaeger-client-go extract a SpanContext where
// the facade and OpenTelemetry return a context carrying it (one more
// allocation that their callers pay when they make it a parent).
//
//	benchstat -col /impl
func BenchmarkPropagation(b *testing.B) {
	w3c := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	b.Run("format=w3c/impl=vendor", func(b *testing.B) {
		ctx, sp := newOTelProvider(b, true).Tracer("bench").Start(context.Background(), "op")
		defer sp.End()
		otelProp(b, w3c, ctx)
	})
	b.Run("format=w3c/impl=facade", func(b *testing.B) {
		sc := tracing.NewSpanContext(tracing.SpanContextConfig{TraceID: tracing.TraceIDFromUint64s(0x0af7651916cd43dd, 0x8448eb211c80319c),
			SpanID: tracing.SpanIDFromUint64(0xb7ad6b7169203331), TraceFlags: tracing.FlagsSampled})
		facadeProp(b, tracing.New(tracing.NoopBackend()), tracing.ContextWithRemoteSpanContext(context.Background(), sc))
	})
	b.Run("format=w3c/impl=facade-otel", func(b *testing.B) {
		tr := newOTelBackend(b, true, otelbackend.WithPropagator(w3c))
		ctx, sp := tr.Start(context.Background(), "op")
		defer sp.End()
		facadeProp(b, tr, ctx)
	})

	b.Run("format=b3/impl=vendor", func(b *testing.B) {
		ctx, sp := newOTelProvider(b, true).Tracer("bench").Start(context.Background(), "op")
		defer sp.End()
		otelProp(b, b3.New(), ctx)
	})
	b.Run("format=b3/impl=facade", func(b *testing.B) {
		tr := newOTelBackend(b, true, otelbackend.WithPropagator(b3.New()))
		ctx, sp := tr.Start(context.Background(), "op")
		defer sp.End()
		facadeProp(b, tr, ctx)
	})

	b.Run("format=jaeger/impl=vendor", func(b *testing.B) {
		tr := newJaegerTracer(b, true, startUDPSink(b).Addr())
		sp := tr.StartSpan("op")
		defer sp.Finish()
		propLoop(b, func(h http.Header) {
			_ = tr.Inject(sp.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		}, func(h http.Header) {
			sc, _ := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			sinkSC = sc
		})
	})
	b.Run("format=jaeger/impl=facade", func(b *testing.B) {
		tr := newJaegerBackend(b, true, startUDPSink(b).Addr(), jaegerbackend.WithPropagation(jaegerbackend.FormatJaeger))
		ctx, sp := tr.Start(context.Background(), "op")
		defer sp.End()
		facadeProp(b, tr, ctx)
	})

	b.Run("format=datadog/impl=vendor", func(b *testing.B) {
		b.Setenv("DD_TRACE_PROPAGATION_STYLE", "datadog")
		newDDBackend(b, true)
		sp := v2tracer.StartSpan("op")
		defer sp.Finish()
		propLoop(b, func(h http.Header) {
			_ = v2tracer.Inject(sp.Context(), v2tracer.HTTPHeadersCarrier(h))
		}, func(h http.Header) {
			sc, _ := v2tracer.Extract(v2tracer.HTTPHeadersCarrier(h))
			sinkDDSC = sc
		})
	})
	b.Run("format=datadog/impl=facade", func(b *testing.B) {
		b.Setenv("DD_TRACE_PROPAGATION_STYLE", "datadog")
		tr := newDDBackend(b, true)
		ctx, sp := tr.Start(context.Background(), "op")
		defer sp.End()
		facadeProp(b, tr, ctx)
	})
}

var (
	sinkSC   opentracing.SpanContext
	sinkDDSC *v2tracer.SpanContext
)
