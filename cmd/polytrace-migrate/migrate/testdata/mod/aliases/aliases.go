// Package aliases imports OpenTracing under other names, next to local // want package:"no OpenTracing"
// packages named tracing and log.
package aliases

import (
	"context"

	ot "github.com/opentracing/opentracing-go"
	tags "github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"

	"example.com/svc/log"
	"example.com/svc/tracing"
)

func aliased(ctx context.Context) {
	span, ctx := ot.StartSpanFromContext(ctx, "aliased") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                  // want `rewrite span: Finish → End`
	tags.HTTPMethod.Set(span, "GET")                     // want `rewrite tags: ext\.HTTPMethod\.Set → SetAttrs\("http\.request\.method"\)`
	span.LogFields(otlog.String("event", "x"))           // want `rewrite logs: log → AddEvent`
	tracing.Note(ctx, "local")
	log.Printf("done")
}

// tagger has SetTag and Finish too, but it is no OpenTracing span.
type tagger struct{}

func (tagger) SetTag(string, any) {}
func (tagger) Finish()            {}

// StartSpanFromContext is a local function of OpenTracing's name.
func StartSpanFromContext(ctx context.Context, name string) (tagger, context.Context) {
	return tagger{}, ctx
}

func shadowed(ctx context.Context, tracer ot.Tracer) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	span, ctx := StartSpanFromContext(ctx, "local")
	span.SetTag("k", 1)
	span.Finish()
	context := "not the package"
	real := tracer.StartSpan(context) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	real.Finish()                     // want `rewrite span: Finish → End`
	_ = ctx
}
