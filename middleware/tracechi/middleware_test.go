package tracechi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func router(routes []httpkittest.Route, mw func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	for _, rt := range routes {
		r.MethodFunc(rt.Method, rt.Path, rt.Handler)
	}
	return r
}

var adapter = httpkittest.Adapter{
	New: func(routes []httpkittest.Route, opts ...tracechi.Option) http.Handler {
		return router(routes, tracechi.Middleware(opts...))
	},
	Bare:  func(routes []httpkittest.Route) http.Handler { return router(routes, nil) },
	Route: func(p string) string { return p },
}

func TestServer(t *testing.T) { httpkittest.RunServerSuite(t, adapter) }

// Mounted routers' patterns are joined; a middleware installed on a
// sub-router names spans the same way.
func TestMountedRouters(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		api := chi.NewRouter()
		api.Get("/notes/{id}", httpkittest.NoteHandler)
		r := chi.NewRouter()
		r.Use(tracechi.Middleware(tracechi.WithTracer(e.Tracer)))
		r.Mount("/api", api)
		r.Route("/v2", func(r chi.Router) {
			r.With(tracechi.Middleware(tracechi.WithTracer(e.Tracer), tracechi.WithService("v2"))).Get("/notes/{id}", httpkittest.NoteHandler)
		})
		for _, p := range []string{"/api/notes/1", "/v2/notes/2"} {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
			if w.Code != 200 {
				t.Fatalf("%s: %d", p, w.Code)
			}
		}
		spans := e.SpansExactly(t, 3)
		mounted := httpkittest.Named(t, spans, "GET /api/notes/{id}")
		e.WantAttr(t, mounted, httpkit.KeyRoute, tracing.StringValue("/api/notes/{id}"))
		// The inner middleware's span is the outer one's child.
		v2 := tracingtest.Named(spans, "GET /v2/notes/{id}")
		if len(v2) != 2 {
			t.Fatalf("%d spans named GET /v2/notes/{id}, want 2: %v", len(v2), httpkittest.Names(spans))
		}
		inner, outer := v2[0], v2[1]
		if outer.ParentID == inner.SpanID {
			inner, outer = outer, inner
		}
		if inner.ParentID != outer.SpanID || inner.TraceID != outer.TraceID || inner.Service != "v2" || !outer.IsRoot() {
			t.Errorf("sub-router middleware: %q (parent %s, service %q) under %q (%s)", inner.Name, inner.ParentID, inner.Service, outer.Name, outer.SpanID)
		}
	})
}
