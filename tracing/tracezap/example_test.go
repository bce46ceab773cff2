package tracezap_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracezap"
)

// requestContext is the context of a request that arrived with a W3C
// traceparent header: it carries the caller's span, as a started span's
// context would carry that span.
func requestContext() context.Context {
	return tracing.Extract(context.Background(), tracing.MapCarrier{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
}

func Example() {
	ctx := requestContext()
	logger := zap.NewExample(tracezap.WrapCore()) // or zap.NewProduction(tracezap.WrapCore())

	// The context as a field, as for OpenTelemetry's otelzap bridge.
	logger.Info("note created", zap.Any("context", ctx), zap.Int("id", 7))
	// Or bound once for a request's logger.
	reqLogger := logger.With(tracezap.Context(ctx))
	reqLogger.Warn("slow query")
	// No context, no ids.
	logger.Info("started")
	// Output:
	// {"level":"info","msg":"note created","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","id":7}
	// {"level":"warn","msg":"slow query","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
	// {"level":"info","msg":"started"}
}

func ExampleFields() {
	ctx := requestContext()
	logger := zap.NewExample() // any logger: no core wrapping needed

	logger.Info("note created", append(tracezap.Fields(ctx), zap.Int("id", 7))...)
	// Output:
	// {"level":"info","msg":"note created","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","id":7}
}

func ExampleLogger() {
	ctx := requestContext()
	logger := zap.NewExample()

	log := tracezap.Logger(ctx, logger, tracezap.WithKeys("trace.id", "span.id"))
	log.Info("note created", zap.Int("id", 7))
	// Output:
	// {"level":"info","msg":"note created","trace.id":"4bf92f3577b34da6a3ce929d0e0e4736","span.id":"00f067aa0ba902b7","id":7}
}
