// Command plumbing runs two services in one process, one tracer each, // want package:"uses OpenTracing"
// configured with jaeger-client-go.
package main

import (
	"context"
	"io"
	"log"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"
	"github.com/uber/jaeger-lib/metrics"
)

type service struct {
	name   string
	tracer opentracing.Tracer // want `rewrite plumbing: field tracer: opentracing\.Tracer → \*tracing\.Tracer`
}

func newService(name string, tracer opentracing.Tracer) *service { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	return &service{name: name, tracer: tracer}
}

func (s *service) tracerOf() opentracing.Tracer { return s.tracer } // want `rewrite plumbing: result \(unnamed\): opentracing\.Tracer → \*tracing\.Trac`

func (s *service) handle(ctx context.Context) {
	span, ctx := opentracing.StartSpanFromContextWithTracer(ctx, s.tracerOf(), s.name) // want `rewrite span-start: opentracing\.StartSpanFromContextWithTracer → trace`
	defer span.Finish()                                                                // want `rewrite span: Finish → End`
	_ = ctx
}

func initTracer(service string) (opentracing.Tracer, io.Closer) { // want `rewrite plumbing: result \(unnamed\): opentracing\.Tracer → \*tracing\.Trac`
	cfg, err := config.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.ServiceName = service
	cfg.Sampler.Type = jaeger.SamplerTypeConst
	cfg.Sampler.Param = 1
	tracer, closer, err := cfg.NewTracer(config.Logger(jaeger.StdLogger), config.Metrics(metrics.NullFactory)) // want `rewrite jaeger-config: config\.FromEnv \+ NewTracer → tracing\.FromEnv wi`
	if err != nil {
		log.Fatal(err)
	}
	return tracer, closer
}

func literal() (opentracing.Tracer, func()) { // want `rewrite plumbing: result \(unnamed\): opentracing\.Tracer → \*tracing\.Trac`
	cfg := config.Configuration{
		ServiceName: "literal",
		Sampler:     &config.SamplerConfig{Type: "const", Param: 1},
		Reporter:    &config.ReporterConfig{LogSpans: true},
	}
	tracer, closer, err := cfg.NewTracer() // want `rewrite jaeger-config: config\.Configuration\.NewTracer → tracing\.Open\(c`
	if err != nil {
		log.Print(err)
	}
	return tracer, func() { closer.Close() }
}

func main() {
	tracer, closer := initTracer("frontend")
	defer closer.Close()
	opentracing.SetGlobalTracer(tracer) // want `rewrite tracer: opentracing\.SetGlobalTracer → tracing\.SetDefault`
	backendTracer, backendCloser := initTracer("backend")
	defer backendCloser.Close()
	front := newService("frontend", opentracing.GlobalTracer()) // want `rewrite tracer: opentracing\.GlobalTracer\(\) → tracing\.Default\(\)`
	back := newService("backend", backendTracer)
	lit, stop := literal()
	defer stop()
	_ = lit
	front.handle(context.Background())
	back.handle(context.Background())
}

func legacy(opts ...opentracing.StartSpanOption) {
	opentracing.StartSpan("legacy", opts...).Finish() // want `left on otshim: opentracing\.StartSpan\("legacy", opts\.\.\.\) stays on Open`
}
