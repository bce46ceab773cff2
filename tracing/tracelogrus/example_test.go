package tracelogrus_test

import (
	"context"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracelogrus"
)

func Example() {
	logger := logrus.New()
	logger.SetOutput(os.Stdout)
	logger.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	logger.AddHook(tracelogrus.NewHook())

	// A request arrived with a W3C traceparent header; its context
	// carries the caller's span (a started span would do the same).
	ctx := tracing.Extract(context.Background(), tracing.MapCarrier{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
	logger.WithContext(ctx).WithField("id", 7).Info("note created")
	logger.WithField("id", 8).Info("no context, no ids")
	// Output:
	// level=info msg="note created" id=7 span_id=00f067aa0ba902b7 trace_id=4bf92f3577b34da6a3ce929d0e0e4736
	// level=info msg="no context, no ids" id=8
}

func ExampleWithKeys() {
	logger := logrus.New()
	logger.SetOutput(os.Stdout)
	logger.SetFormatter(&logrus.JSONFormatter{DisableTimestamp: true})
	// Keys of your log pipeline's choosing, whatever the backend.
	logger.AddHook(tracelogrus.NewHook(tracelogrus.WithKeys("trace.id", "span.id")))

	ctx := tracing.Extract(context.Background(), tracing.MapCarrier{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
	logger.WithContext(ctx).Warn("slow query")
	// Output:
	// {"level":"warning","msg":"slow query","span.id":"00f067aa0ba902b7","trace.id":"4bf92f3577b34da6a3ce929d0e0e4736"}
}
