// Package spans starts spans every way OpenTracing does. // want package:"uses OpenTracing"
package spans

import (
	"context"
	"errors"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// Handle starts a span from a context, the most common form.
func Handle(ctx context.Context, id string) error {
	span, ctx := opentracing.StartSpanFromContext(ctx, "Handle") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                          // want `rewrite span: Finish → End`
	span.SetTag("note.id", id)                                   // want `rewrite tags: SetTag\("note\.id"\) → SetAttrs`
	return load(ctx, id)
}

func load(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("no id")
	}
	span := opentracing.SpanFromContext(ctx) // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	if span != nil {
		span.SetOperationName("load " + id) // want `rewrite span: SetOperationName → SetName`
	}
	return nil
}

// Child starts a span with an explicit parent and puts it in a context.
func Child(ctx context.Context, tracer opentracing.Tracer) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac` tracer:"becomes .tracing.Tracer"
	parent := opentracing.SpanFromContext(ctx)                                                      // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	span := tracer.StartSpan("child", opentracing.ChildOf(parent.Context()), ext.SpanKindRPCClient) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start \(with opentracing\.`
	defer span.Finish()                                                                             // want `rewrite span: Finish → End`
	ctx = opentracing.ContextWithSpan(ctx, span)
	_ = load(ctx, "x")
}

// Async starts spans that follow another one.
func Async(tracer opentracing.Tracer, at time.Time) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac` tracer:"becomes .tracing.Tracer"
	cause := tracer.StartSpan("cause") // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	async(tracer, cause, at)
	cause.Finish() // want `rewrite span: Finish → End`
}

// Exported takes a span: importers may pass any, so it stays.
func Exported(span opentracing.Span) { // want `left on otshim: span stays an opentracing\.Span: it is part of the pack`
	span.SetTag("exported", true) // want `left on otshim: span stays an opentracing\.Span: it is part of the pack`
}

// async starts a span that follows another, at a given time.
func async(tracer opentracing.Tracer, cause opentracing.Span, at time.Time) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac` `rewrite plumbing: parameter cause: opentracing\.Span → tracing\.Span`
	span := tracer.StartSpan("async", opentracing.FollowsFrom(cause.Context()), opentracing.StartTime(at), // want `rewrite span-start: tracer\.StartSpan → tracer\.Start; FollowsFrom → lin`
		opentracing.Tag{Key: "queue", Value: "jobs"})
	span.FinishWithOptions(opentracing.FinishOptions{FinishTime: at.Add(time.Second)}) // want `rewrite span: FinishWithOptions\(FinishTime\) → EndAt`
}

// Root starts a root span with the global tracer and sets its kind later.
func Root() {
	span := opentracing.StartSpan("root") // want `rewrite span-start: opentracing\.StartSpan → tracing\.Start`
	ext.SpanKindRPCServer.Set(span)       // want `rewrite kind: span\.kind → SpanKindServer at the span's start`
	span.Finish()                         // want `rewrite span: Finish → End`
}
