// Package exported holds a tracer in its exported API. // want package:"no OpenTracing"
package exported

import (
	"context"

	"github.com/opentracing/opentracing-go"
)

// Client calls a service.
type Client struct {
	Tracer opentracing.Tracer // want `rewrite plumbing: field Tracer: opentracing\.Tracer → \*tracing\.Tracer` Tracer:"becomes .tracing.Tracer"
}

// New returns a client tracing with tracer.
func New(tracer opentracing.Tracer) *Client { return &Client{Tracer: tracer} } // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac` tracer:"becomes .tracing.Tracer"

// Do calls the service.
func (c *Client) Do(ctx context.Context) {
	span, _ := opentracing.StartSpanFromContextWithTracer(ctx, c.Tracer, "do") // want `rewrite span-start: opentracing\.StartSpanFromContextWithTracer → trace`
	span.Finish()                                                              // want `rewrite span: Finish → End`
}
