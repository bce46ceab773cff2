package aliases

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

func otLogNamedLog(ctx context.Context) {
	opentracing.SpanFromContext(ctx).LogFields(log.String("event", "named log")) // want `rewrite logs: log → AddEvent` `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
}
