package tracechi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/polytrace/polytrace/middleware/internal/httptrace"
	"github.com/polytrace/polytrace/middleware/internal/mwtest"
	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/tracing"
)

func router(routes []mwtest.Route, mw func(http.Handler) http.Handler) http.Handler {
	r := chi.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	for _, rt := range routes {
		r.MethodFunc(rt.Method, rt.Path, rt.Handler)
	}
	return r
}

var adapter = mwtest.Adapter{
	New: func(routes []mwtest.Route, opts ...tracechi.Option) http.Handler {
		return router(routes, tracechi.Middleware(opts...))
	},
	Bare:  func(routes []mwtest.Route) http.Handler { return router(routes, nil) },
	Route: func(p string) string { return p },
}

func TestServer(t *testing.T) { mwtest.RunServerSuite(t, adapter) }

// Mounted routers' patterns are joined; a middleware installed on a
// sub-router names spans the same way.
func TestMountedRouters(t *testing.T) {
	mwtest.Each(t, func(t *testing.T, e *mwtest.Env) {
		api := chi.NewRouter()
		api.Get("/notes/{id}", mwtest.NoteHandler)
		r := chi.NewRouter()
		r.Use(tracechi.Middleware(tracechi.WithTracer(e.Tracer)))
		r.Mount("/api", api)
		r.Route("/v2", func(r chi.Router) {
			r.With(tracechi.Middleware(tracechi.WithTracer(e.Tracer), tracechi.WithService("v2"))).Get("/notes/{id}", mwtest.NoteHandler)
		})
		for _, p := range []string{"/api/notes/1", "/v2/notes/2"} {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
			if w.Code != 200 {
				t.Fatalf("%s: %d", p, w.Code)
			}
		}
		spans := e.SpansExactly(t, 3)
		if spans[0].Name != "GET /api/notes/{id}" {
			t.Errorf("mounted route named %q", spans[0].Name)
		}
		e.WantAttr(t, spans[0], httptrace.KeyRoute, tracing.StringValue("/api/notes/{id}"))
		// The inner middleware's span ends first and is the outer one's child.
		inner, outer := spans[1], spans[2]
		if inner.Name != "GET /v2/notes/{id}" || outer.Name != "GET /v2/notes/{id}" || inner.ParentID != outer.SpanID || inner.Service != "v2" {
			t.Errorf("sub-router middleware: %q (parent %s, service %q) under %q (%s)", inner.Name, inner.ParentID, inner.Service, outer.Name, outer.SpanID)
		}
	})
}
