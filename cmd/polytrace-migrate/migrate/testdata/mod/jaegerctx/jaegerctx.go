// Package jaegerctx logs trace ids from jaeger span contexts. // want package:"uses OpenTracing"
package jaegerctx

import (
	"context"
	"log"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
)

func logIDs(ctx context.Context, logger *log.Logger) {
	span := opentracing.SpanFromContext(ctx)                // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	if jsc, ok := span.Context().(jaeger.SpanContext); ok { // want `rewrite span-context: span\.Context\(\)\.\(jaeger\.SpanContext\) → span\.SpanC`
		logger.Printf("trace=%s span=%s sampled=%t", jsc.TraceID().String(), jsc.SpanID().String(), jsc.IsSampled())
	}
	logger.Printf("trace=%s", span.Context().(jaeger.SpanContext).TraceID().String()) // want `rewrite span-context: span\.Context\(\)\.\(jaeger\.SpanContext\) → span\.SpanC`
}

func parentID(ctx context.Context) uint64 {
	span := opentracing.SpanFromContext(ctx)   // want `left on otshim: span stays an opentracing\.Span: its jaeger span contex`
	jsc := span.Context().(jaeger.SpanContext) // want `left on otshim: span stays an opentracing\.Span: its jaeger span contex`
	return uint64(jsc.ParentID())
}
