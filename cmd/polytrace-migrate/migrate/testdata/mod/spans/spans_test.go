package spans

import (
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
)

func TestAsync(t *testing.T) {
	tracer := opentracing.GlobalTracer() // want `rewrite tracer: opentracing\.GlobalTracer\(\) → tracing\.Default\(\)`
	cause := tracer.StartSpan("cause")   // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	async(tracer, cause, time.Now())
}
