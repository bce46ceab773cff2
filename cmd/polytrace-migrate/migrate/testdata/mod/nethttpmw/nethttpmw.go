// Package nethttpmw traces HTTP with opentracing-contrib's net/http // want package:"no OpenTracing"
// middleware.
package nethttpmw

import (
	"context"
	"net/http"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
)

func server(tracer opentracing.Tracer, mux *http.ServeMux) http.Handler { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	return nethttp.Middleware(tracer, mux, nethttp.OperationNameFunc(func(r *http.Request) string { // want `rewrite nethttp: nethttp\.Middleware → tracehttp\.Handler \(span names ke`
		return "HTTP " + r.Method + " " + r.URL.Path
	}))
}

func global(mux http.Handler) http.Handler {
	return nethttp.Middleware(opentracing.GlobalTracer(), mux) // want `rewrite nethttp: nethttp\.Middleware → tracehttp\.Handler \(span names ke`
}

func funcMW(tracer opentracing.Tracer, h http.HandlerFunc) http.HandlerFunc { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	return nethttp.MiddlewareFunc(tracer, h, nethttp.MWSpanFilter(func(r *http.Request) bool { return r.URL.Path != "/health" })) // want `rewrite nethttp: nethttp\.MiddlewareFunc → tracehttp\.Handler \(span name`
}

type client struct {
	tracer opentracing.Tracer // want `rewrite plumbing: field tracer: opentracing\.Tracer → \*tracing\.Tracer`
	http   *http.Client
}

func newClient(tracer opentracing.Tracer) *client { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	return &client{tracer: tracer, http: &http.Client{Transport: &nethttp.Transport{}}} // want `rewrite nethttp: nethttp\.Transport → tracehttp\.Transport \(span names k`
}

func (c *client) get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req, ht := nethttp.TraceRequest(c.tracer, req, nethttp.OperationName("get")) // want `rewrite nethttp: nethttp\.TraceRequest → a span around the request \(its`
	defer ht.Finish()                                                            // want `rewrite nethttp: \(\*nethttp\.Tracer\)\.Finish → End`
	return c.http.Do(req)
}
