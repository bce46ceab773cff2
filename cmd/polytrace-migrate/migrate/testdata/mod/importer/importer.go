// Package importer uses exported's API, which the rewrite changes. // want package:"no OpenTracing"
package importer

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"example.com/svc/exported"
)

func run() {
	c := exported.New(opentracing.GlobalTracer()) // want `rewrite tracer: opentracing\.GlobalTracer\(\) → tracing\.Default\(\)`
	c.Do(context.Background())
	t := c.Tracer
	span := t.StartSpan("x") // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	span.Finish()            // want `rewrite span: Finish → End`
}
