package ddbackend_test

import (
	"context"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// TestLogCorrelationFromTheSpan: a Datadog span gives its log ids in
// Datadog's form and keys even when the default tracer is another one, so
// that loggers that only have the context (tracelog, tracelogrus, tracezap)
// get them right.
func TestLogCorrelationFromTheSpan(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	tr := tracing.New(newBackend(t, a))
	tracing.SetDefault(nil)
	ctx, sp := tr.Start(context.Background(), "logged")
	defer sp.End()
	ids, ok := tracing.LogCorrelation(ctx)
	sc := sp.SpanContext()
	if !ok || ids.TraceKey != "dd.trace_id" || ids.SpanKey != "dd.span_id" ||
		ids.TraceID != sc.TraceID().LowDecimal() || ids.SpanID != sc.SpanID().Decimal() {
		t.Errorf("LogCorrelation = %+v, %v; want dd.trace_id=%s dd.span_id=%s", ids, ok, sc.TraceID().LowDecimal(), sc.SpanID().Decimal())
	}
}
