// Package adapters_test runs httpkittest's suites for every HTTP adapter
// on every backend, vendors included: the adapters' own modules run them
// on the in-process backends only, since a module must not require the
// vendor SDKs.
package adapters_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/middleware/tracehttp"
)

func TestMain(m *testing.M) { vendors.Main(m) }

func init() { gin.SetMode(gin.ReleaseMode) }

var param = regexp.MustCompile(`\{(\w+)\}`)

// colonPath converts a suite path to gin's and echo's form.
func colonPath(p string) string { return param.ReplaceAllString(p, ":$1") }

func mux(routes []httpkittest.Route) *http.ServeMux {
	m := http.NewServeMux()
	for _, rt := range routes {
		m.HandleFunc(rt.Method+" "+rt.Path, rt.Handler)
	}
	return m
}

func chiRouter(routes []httpkittest.Route, mw func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	for _, rt := range routes {
		r.MethodFunc(rt.Method, rt.Path, rt.Handler)
	}
	return r
}

func ginEngine(routes []httpkittest.Route, mw gin.HandlerFunc) http.Handler {
	e := gin.New()
	if mw != nil {
		e.Use(mw)
	}
	for _, rt := range routes {
		e.Handle(rt.Method, colonPath(rt.Path), gin.WrapF(rt.Handler))
	}
	return e
}

func echoServer(routes []httpkittest.Route, mw echo.MiddlewareFunc) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if mw != nil {
		e.Use(mw)
	}
	for _, rt := range routes {
		e.Add(rt.Method, colonPath(rt.Path), echo.WrapHandler(rt.Handler))
	}
	return e
}

var adapters = []struct {
	name string
	a    httpkittest.Adapter
}{
	{"tracehttp", httpkittest.Adapter{
		New: func(routes []httpkittest.Route, opts ...tracehttp.Option) http.Handler {
			return tracehttp.Handler(mux(routes), opts...)
		},
		Bare:  func(routes []httpkittest.Route) http.Handler { return mux(routes) },
		Route: func(p string) string { return p },
	}},
	{"tracechi", httpkittest.Adapter{
		New: func(routes []httpkittest.Route, opts ...tracechi.Option) http.Handler {
			return chiRouter(routes, tracechi.Middleware(opts...))
		},
		Bare:  func(routes []httpkittest.Route) http.Handler { return chiRouter(routes, nil) },
		Route: func(p string) string { return p },
	}},
	{"tracegin", httpkittest.Adapter{
		New: func(routes []httpkittest.Route, opts ...tracegin.Option) http.Handler {
			return ginEngine(routes, tracegin.Middleware(opts...))
		},
		Bare:  func(routes []httpkittest.Route) http.Handler { return ginEngine(routes, nil) },
		Route: colonPath,
	}},
	{"traceecho", httpkittest.Adapter{
		New: func(routes []httpkittest.Route, opts ...traceecho.Option) http.Handler {
			return echoServer(routes, traceecho.Middleware(opts...))
		},
		// Echo allocates the closure any middleware returns, per request:
		// the baseline has a pass-through middleware, so that the
		// allocation test counts what this middleware does.
		Bare: func(routes []httpkittest.Route) http.Handler {
			return echoServer(routes, func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error { return next(c) }
			})
		},
		Route: colonPath,
	}},
}

// TestServer runs the server suite of every adapter on every backend.
func TestServer(t *testing.T) {
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) { httpkittest.RunServerSuite(t, a.a) })
	}
}

// TestPropagation sends hostile trace headers to a service on every
// backend: every case (W3C Trace Context, Baggage, Jaeger, Datadog) through
// tracehttp, whose propagation code every adapter shares, and
// representative ones through the other adapters.
func TestPropagation(t *testing.T) {
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			if a.name != "tracehttp" {
				httpkittest.RunPropagation(t, a.a, httpkittest.Backends, httpkittest.RepresentativeCases())
				return
			}
			for _, cs := range []struct {
				name  string
				cases []httpkittest.PropagationCase
			}{
				{"W3CTraceContext", httpkittest.W3CCases()},
				{"W3CBaggage", httpkittest.BaggageCases()},
				{"Jaeger", httpkittest.JaegerCases()},
				{"Datadog", httpkittest.DatadogCases()},
			} {
				t.Run(cs.name, func(t *testing.T) { httpkittest.RunPropagation(t, a.a, httpkittest.Backends, cs.cases) })
			}
		})
	}
}

// TestB3Propagation: B3 single and multiple headers, on the otel backend
// configured for them by OTEL_PROPAGATORS.
func TestB3Propagation(t *testing.T) {
	httpkittest.RunPropagation(t, adapters[0].a, vendors.B3Backends(), httpkittest.B3Cases())
}

// TestClient runs tracehttp's client transport suite on every backend.
func TestClient(t *testing.T) { httpkittest.RunClientSuite(t) }

// TestSecrets runs the secrets suite on every backend.
func TestSecrets(t *testing.T) { httpkittest.RunSecretsSuite(t) }
