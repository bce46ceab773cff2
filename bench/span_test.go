package bench

import (
	"context"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	v1tracer "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend"
)

// An impl is one side of a comparison: set up, it gives a function that
// starts a parent span (nil: none) and the operation measured.
type impl struct {
	name  string
	setup func(b *testing.B) (newParent func() (context.Context, func()), op func(ctx context.Context))
}

// BenchmarkSpan: a span started with three attributes and ended, nested
// under a parent, sampled and unsampled, through the facade over each
// backend (impl=facade) and through that vendor's SDK used directly
// (impl=vendor; impl=vendor-v1 is dd-trace-go's v1 API), with the same
// sampler, processor and exporter or loopback sink. backend=off compares
// the none backend with OpenTelemetry's no-op tracer.
//
//	benchstat -col /impl
func BenchmarkSpan(b *testing.B) {
	for _, sampled := range []bool{true, false} {
		sampling := "sampling=unsampled"
		if sampled {
			sampling = "sampling=sampled"
		}
		for _, be := range []struct {
			name  string
			impls []impl
		}{
			{"otel", otelSpanImpls(sampled)},
			{"datadog", ddSpanImpls(sampled)},
			{"jaeger", jaegerSpanImpls(sampled)},
		} {
			for _, im := range be.impls {
				b.Run("backend="+be.name+"/"+sampling+"/impl="+im.name, func(b *testing.B) {
					newParent, op := im.setup(b)
					loop(b, newParent, op)
				})
			}
		}
	}
	for _, im := range offSpanImpls() {
		b.Run("backend=off/sampling=none/impl="+im.name, func(b *testing.B) {
			newParent, op := im.setup(b)
			loop(b, newParent, op)
		})
	}
}

// facadeOps returns the parent and operation of the facade over tr.
func facadeOps(tr *tracing.Tracer) (func() (context.Context, func()), func(ctx context.Context)) {
	return func() (context.Context, func()) {
			ctx, p := tr.Start(context.Background(), "parent")
			return ctx, p.End
		}, func(ctx context.Context) {
			_, sp := tr.Start(ctx, "op", tracing.WithAttrs(
				tracing.String("http.route", valRoute), tracing.Int("note.count", valCount), tracing.Bool("cache.hit", valHit)))
			sp.End()
		}
}

// otelOps returns the parent and operation of an OpenTelemetry tracer.
func otelOps(tracer trace.Tracer) (func() (context.Context, func()), func(ctx context.Context)) {
	return func() (context.Context, func()) {
			ctx, p := tracer.Start(context.Background(), "parent")
			return ctx, func() { p.End() }
		}, func(ctx context.Context) {
			_, sp := tracer.Start(ctx, "op", trace.WithAttributes(
				attribute.String("http.route", valRoute), attribute.Int("note.count", valCount), attribute.Bool("cache.hit", valHit)))
			sp.End()
		}
}

func otelSampler(sampled bool) sdktrace.Sampler {
	if sampled {
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	return sdktrace.ParentBased(sdktrace.NeverSample())
}

// newOTelBackend is the facade's OpenTelemetry backend with a batch
// processor and a discarding exporter. The batch processor blocks rather
// than drops when its queue is full, on both sides of every comparison, so
// that both export every span whatever the scheduling (under callgrind's
// single thread, a dropping queue would make the side whose exporter ran
// less look cheaper).
func newOTelBackend(b testing.TB, sampled bool, opts ...otelbackend.Option) *tracing.Tracer {
	return otelBackendWith(b, sampled, &discardExporter{}, opts...)
}

// otelBackendWith is newOTelBackend exporting to exp.
func otelBackendWith(b testing.TB, sampled bool, exp sdktrace.SpanExporter, opts ...otelbackend.Option) *tracing.Tracer {
	opts = append([]otelbackend.Option{otelbackend.WithExporter(exp),
		otelbackend.WithSampler(otelSampler(sampled)), otelbackend.WithoutGlobal(),
		otelbackend.WithBatchOptions(sdktrace.WithBlocking())}, opts...)
	be, err := otelbackend.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := shutdownCtx()
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	return tr
}

// newOTelProvider is the same SDK set-up used directly.
func newOTelProvider(b testing.TB, sampled bool) *sdktrace.TracerProvider {
	return otelProviderWith(b, sampled, &discardExporter{})
}

// otelProviderWith is newOTelProvider exporting to exp.
func otelProviderWith(b testing.TB, sampled bool, exp sdktrace.SpanExporter) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelSampler(sampled)),
		sdktrace.WithBatcher(exp, sdktrace.WithBlocking()))
	b.Cleanup(func() {
		ctx, cancel := shutdownCtx()
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return tp
}

func otelSpanImpls(sampled bool) []impl {
	return []impl{
		{"facade", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			return facadeOps(newOTelBackend(b, sampled))
		}},
		{"vendor", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			return otelOps(newOTelProvider(b, sampled).Tracer(otelbackend.ScopeName))
		}},
	}
}

// newDDBackend starts the facade's Datadog backend, which starts
// dd-trace-go's global tracer, sending to a loopback agent that discards
// what it gets; both stop when the benchmark ends. The vendor side of a
// comparison uses dd-trace-go's API on the tracer this started, so that
// both sides have exactly the same configuration. Sampled uses
// dd-trace-go's default sampling, which keeps every trace (a sampling rule
// of rate 1 would also apply the rules' rate limit, 100 traces a second,
// and reject nearly every trace of a benchmark); unsampled a rule of rate
// 0.
func newDDBackend(b testing.TB, sampled bool, opts ...ddbackend.Option) *tracing.Tracer {
	agent := ddtest.Start(ddtest.Config{Discard: true})
	opts = append([]ddbackend.Option{ddbackend.WithAgentURL(agent.URL())}, opts...)
	if !sampled {
		opts = append(opts, ddbackend.WithSampleRate(0))
	}
	be, err := ddbackend.New(opts...)
	if err != nil {
		agent.Close()
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := shutdownCtx()
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		agent.Close()
	})
	return tr
}

func ddSpanImpls(sampled bool) []impl {
	return []impl{
		{"facade", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			return facadeOps(newDDBackend(b, sampled))
		}},
		{"vendor", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			newDDBackend(b, sampled)
			return func() (context.Context, func()) {
					p, ctx := v2tracer.StartSpanFromContext(context.Background(), "parent")
					return ctx, func() { p.Finish() }
				}, func(ctx context.Context) {
					sp, _ := v2tracer.StartSpanFromContext(ctx, "op")
					sp.SetTag("http.route", valRoute)
					sp.SetTag("note.count", valCount)
					sp.SetTag("cache.hit", valHit)
					sp.Finish()
				}
		}},
		{"vendor-v1", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			newDDBackend(b, sampled)
			return func() (context.Context, func()) {
					p, ctx := v1tracer.StartSpanFromContext(context.Background(), "parent")
					return ctx, func() { p.Finish() }
				}, func(ctx context.Context) {
					sp, _ := v1tracer.StartSpanFromContext(ctx, "op")
					sp.SetTag("http.route", valRoute)
					sp.SetTag("note.count", valCount)
					sp.SetTag("cache.hit", valHit)
					sp.Finish()
				}
		}},
	}
}

// jaegerQueue is the reporter's queue size on both sides of a Jaeger
// comparison: large enough that neither drops spans (jaeger-client-go's
// default is 100, the backend's larger).
const jaegerQueue = 16384

// newJaegerBackend is the facade's Jaeger backend with a const sampler,
// reporting over UDP to a loopback port that drops what it gets.
func newJaegerBackend(b testing.TB, sampled bool, addr string, opts ...jaegerbackend.Option) *tracing.Tracer {
	opts = append([]jaegerbackend.Option{
		jaegerbackend.WithServiceName("bench"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(sampled)),
		jaegerbackend.WithConfig(func(c *jaegercfg.Configuration) {
			if c.Reporter == nil {
				c.Reporter = &jaegercfg.ReporterConfig{}
			}
			c.Reporter.LocalAgentHostPort = addr
			c.Reporter.QueueSize = jaegerQueue
		}),
	}, opts...)
	be, err := jaegerbackend.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := shutdownCtx()
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	return tr
}

// newJaegerTracer is the same set-up through jaeger-client-go's own
// configuration.
func newJaegerTracer(b testing.TB, sampled bool, addr string) opentracing.Tracer {
	tr, closer, err := jaegercfg.Configuration{ServiceName: "bench", Gen128Bit: true,
		Reporter: &jaegercfg.ReporterConfig{LocalAgentHostPort: addr, QueueSize: jaegerQueue},
	}.NewTracer(jaegercfg.Sampler(jaeger.NewConstSampler(sampled)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = closer.Close() })
	return tr
}

func jaegerSpanImpls(sampled bool) []impl {
	return []impl{
		{"facade", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			return facadeOps(newJaegerBackend(b, sampled, startUDPSink(b).Addr()))
		}},
		{"vendor", func(b *testing.B) (func() (context.Context, func()), func(context.Context)) {
			tr := newJaegerTracer(b, sampled, startUDPSink(b).Addr())
			return func() (context.Context, func()) {
					p, ctx := opentracing.StartSpanFromContextWithTracer(context.Background(), tr, "parent")
					return ctx, p.Finish
				}, func(ctx context.Context) {
					sp, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "op")
					sp.SetTag("http.route", valRoute)
					sp.SetTag("note.count", valCount)
					sp.SetTag("cache.hit", valHit)
					sp.Finish()
				}
		}},
	}
}

// offSpanImpls: tracing off, the none backend against OpenTelemetry's
// no-op tracer.
func offSpanImpls() []impl {
	return []impl{
		{"facade", func(*testing.B) (func() (context.Context, func()), func(context.Context)) {
			return facadeOps(tracing.New(tracing.NoopBackend()))
		}},
		{"vendor", func(*testing.B) (func() (context.Context, func()), func(context.Context)) {
			return otelOps(noop.NewTracerProvider().Tracer("bench"))
		}},
	}
}
