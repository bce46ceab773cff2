// Package baggage sets and reads baggage items. // want package:"uses OpenTracing"
package baggage

import (
	"context"

	"github.com/opentracing/opentracing-go"
)

// Set starts a span that carries a user to every service downstream.
func Set(ctx context.Context, user string) context.Context {
	span, ctx := opentracing.StartSpanFromContext(ctx, "set") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                       // want `rewrite span: Finish → End`
	span.SetBaggageItem("user", user)                         // want `rewrite baggage: SetBaggageItem → tracing\.ContextWithBaggage on ctx`
	return ctx
}

func get(ctx context.Context) string {
	span := opentracing.SpanFromContext(ctx)       // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	user := span.BaggageItem("user")               // want `rewrite baggage: BaggageItem → tracing\.BaggageFromContext\(ctx\)\.Get`
	return user + "!" + span.BaggageItem("tenant") // want `rewrite baggage: BaggageItem → tracing\.BaggageFromContext\(ctx\)\.Get`
}

func each(ctx context.Context) map[string]string {
	out := map[string]string{}
	span, _ := opentracing.StartSpanFromContext(ctx, "each")   // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                        // want `rewrite span: Finish → End`
	span.Context().ForeachBaggageItem(func(k, v string) bool { // want `rewrite baggage: ForeachBaggageItem → a loop over tracing\.BaggageFromC`
		out[k] = v
		return true
	})
	return out
}

func detached(tracer opentracing.Tracer) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	span := tracer.StartSpan("detached")                                    // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	span.SetBaggageItem("k", "v")                                           // want `rewrite baggage: SetBaggageItem → tracing\.ContextWithBaggage on spanCt`
	child := tracer.StartSpan("child", opentracing.ChildOf(span.Context())) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	child.Finish()                                                          // want `rewrite span: Finish → End`
	span.Finish()                                                           // want `rewrite span: Finish → End`
}

func param(span opentracing.Span) { // want `left on otshim: span stays an opentracing\.Span: SetBaggageItem on a sp`
	span.SetBaggageItem("k", "v") // want `left on otshim: span stays an opentracing\.Span: SetBaggageItem on a sp`
}
