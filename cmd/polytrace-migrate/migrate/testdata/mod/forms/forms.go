// Package forms holds the less common shapes of span code. // want package:"no OpenTracing"
package forms

import (
	"context"
	"net/http"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
)

type handler struct{ tracer opentracing.Tracer } // want `rewrite plumbing: field tracer: opentracing\.Tracer → \*tracing\.Tracer`

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	span := h.tracer.StartSpan("serve") // want `rewrite span-start: tracer\.StartSpan → tracer\.Start \(with opentracing\.`
	defer span.Finish()                 // want `rewrite span: Finish → End`
	r = r.WithContext(opentracing.ContextWithSpan(r.Context(), span))
	h.work(r.Context(), true)
}

func (h *handler) work(ctx context.Context, flag bool) {
	var span opentracing.Span // want `rewrite plumbing: variable span: opentracing\.Span → tracing\.Span`
	if flag {
		span = h.tracer.StartSpan("a", opentracing.ChildOf(opentracing.SpanFromContext(ctx).Context())) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start` `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	} else {
		span = opentracing.SpanFromContext(ctx) // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	}
	defer span.Finish() // want `rewrite span: Finish → End`
	if flag {
		child := h.tracer.StartSpan("child", opentracing.ChildOf(span.Context())) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start \(with opentracing\.`
		ctx = opentracing.ContextWithSpan(ctx, child)
		child.Finish() // want `rewrite span: Finish → End`
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, _ := opentracing.StartSpanFromContext(ctx, "async") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
		defer s.Finish()                                       // want `rewrite span: Finish → End`
		s.LogKV("event", "tick", "n", 1)                       // want `rewrite logs: log → AddEvent`
	}()
	<-done
	defer span.LogFields(otlog.String("event", "bye"), otlog.Error(nil)) // want `rewrite logs: log → AddEvent`
	ext.Component.Set(span, "tricky")                                    // want `rewrite tags: ext\.Component\.Set → SetAttrs`
}

func ctxVar(ctx context.Context) context.Context {
	span, ctx2 := opentracing.StartSpanFromContext(ctx, "x") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                      // want `rewrite span: Finish → End`
	span.SetBaggageItem("k", "v")                            // want `rewrite baggage: SetBaggageItem → tracing\.ContextWithBaggage on ctx2`
	func() {
		span.SetBaggageItem("k2", "v2") // want `rewrite baggage: SetBaggageItem → tracing\.ContextWithBaggage on ctx2`
	}()
	return ctx2
}
