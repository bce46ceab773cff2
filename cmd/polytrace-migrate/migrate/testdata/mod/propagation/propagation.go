// Package propagation injects and extracts span contexts by hand. // want package:"uses OpenTracing"
package propagation

import (
	"bytes"
	"context"
	"net/http"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

type server struct{ tracer opentracing.Tracer } // want `rewrite plumbing: field tracer: opentracing\.Tracer → \*tracing\.Tracer`

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc, _ := s.tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(r.Header)) // want `rewrite propagation: Tracer\.Extract → Tracer\.Extract\(ctx, carrier\): sc`
	span := s.tracer.StartSpan("serve", ext.RPCServerOption(sc))                                 // want `rewrite span-start: tracer\.StartSpan → tracer\.Start \(with opentracing\.`
	defer span.Finish()                                                                          // want `rewrite span: Finish → End`
	ext.HTTPMethod.Set(span, r.Method)                                                           // want `rewrite tags: ext\.HTTPMethod\.Set → SetAttrs\("http\.request\.method"\)`
	ctx := opentracing.ContextWithSpan(r.Context(), span)
	_ = s.call(ctx, "http://backend/x")
}

func (s *server) call(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	span, ctx := opentracing.StartSpanFromContextWithTracer(ctx, s.tracer, "call")                                               // want `rewrite span-start: opentracing\.StartSpanFromContextWithTracer → trace`
	defer span.Finish()                                                                                                          // want `rewrite span: Finish → End`
	ext.SpanKindRPCClient.Set(span)                                                                                              // want `rewrite kind: span\.kind → SpanKindClient at the span's start`
	if err := s.tracer.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil { // want `rewrite propagation: Tracer\.Inject\(span\.Context\(\), format, carrier\) → `
		return err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func textMap(tracer opentracing.Tracer, m map[string]string) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	sc, err := tracer.Extract(opentracing.TextMap, opentracing.TextMapCarrier(m)) // want `left on otshim: Tracer\.Extract in a form the tool does not rewrite` `left on otshim: sc stays an opentracing\.SpanContext: the error of Extr` `left on otshim: the \*tracing\.Tracer goes to an OpenTracing API through`
	if err != nil && err != opentracing.ErrSpanContextNotFound {
		return
	}
	span := tracer.StartSpan("consume", opentracing.ChildOf(sc)) // want `left on otshim: span stays an opentracing\.Span: its parent sc stays an` `left on otshim: the \*tracing\.Tracer goes to an OpenTracing API through`
	span.Finish()                                                // want `left on otshim: span stays an opentracing\.Span: its parent sc stays an`
}

func inject(tracer opentracing.Tracer, ctx context.Context, m map[string]string) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	_ = tracer.Inject(opentracing.SpanFromContext(ctx).Context(), opentracing.TextMap, opentracing.TextMapCarrier(m))                                     // want `rewrite propagation: Tracer\.Inject\(span\.Context\(\), format, carrier\) → `
	opentracing.GlobalTracer().Inject(opentracing.SpanFromContext(ctx).Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{})) // want `rewrite propagation: Tracer\.Inject\(span\.Context\(\), format, carrier\) → `
}

func binary(tracer opentracing.Tracer, span opentracing.Span, buf *bytes.Buffer) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac` `left on otshim: span stays an opentracing\.Span: its span context is us`
	_ = tracer.Inject(span.Context(), opentracing.Binary, buf) // want `left on otshim: Tracer\.Inject in a form the tool does not rewrite` `left on otshim: the \*tracing\.Tracer goes to an OpenTracing API through` `left on otshim: span stays an opentracing\.Span: its span context is us`
}

func injectAssign(tracer opentracing.Tracer, ctx context.Context, h http.Header) error { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	var err error
	err = tracer.Inject(opentracing.SpanFromContext(ctx).Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)) // want `rewrite propagation: Tracer\.Inject\(span\.Context\(\), format, carrier\) → `
	if err != nil {
		return err
	}
	err2 := tracer.Inject(opentracing.SpanFromContext(ctx).Context(), opentracing.TextMap, opentracing.TextMapCarrier(map[string]string{})) // want `rewrite propagation: Tracer\.Inject\(span\.Context\(\), format, carrier\) → `
	return err2
}
